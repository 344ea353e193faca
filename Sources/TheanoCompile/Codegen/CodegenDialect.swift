/// A dialect of C that generated kernels are written in.
///
/// ``ScalarCodegen`` writes one C expression per scalar op. The dialects it targets share
/// almost everything:
///
/// - Type names: `float`, `double`, `int8_t` ... `int64_t`, `uint8_t` for bool (CUDA C has
///   `<stdint.h>` too).
/// - Math function spellings: `expf`/`exp`, `tgammaf`/`tgamma`, `rintf`/`rint`, `fabsf`/`fabs`
///   ... are C library functions on the CPU and device functions in CUDA; `isnan`, `isinf`,
///   `NAN` and `INFINITY` are spelled alike.
/// - Helpers defined by the dialect's preamble, named in ``ScalarCodegen/preambleHelpers``
///   (`th_floordiv_f`, `th_digamma`, `th_lgammaf`, `th_f2i`, ...): the reference semantics
///   where plain C differs. For the CPU they live in the C backend's `CPreamble.swift`.
///
/// What differs is captured here:
///
/// - ``statementExpressions``: GNU statement expressions `({ T _x = a; ...; })`. gcc and clang
///   accept them, and they keep ops that need a temporary (sigmoid, NaN-propagating maximum,
///   integer abs, ...) inline in the loop body, where the vectoriser sees them. CUDA C has
///   none; a dialect without them gets calls to small helper functions instead, whose
///   definitions ``ScalarCodegen/helperFunctions()`` writes once per translation unit.
/// - ``helperSpecifiers``: how those helper functions are declared (`static inline` in C).
///
/// The loop around the expressions is not part of the dialect: the CPU backend's kernels
/// (the `th_call` convention, 16-lane tails, the thread pool) are its own, and a GPU backend
/// writes its own grid-stride loops.
///
/// ## Adding a CUDA C dialect
///
/// A CUDA module (which can also be a separate package) declares
///
/// ```swift
/// extension CodegenDialect {
///     static let cudaC = CodegenDialect(
///         name: "cuda", statementExpressions: false,
///         helperSpecifiers: "static __device__ __forceinline__")
/// }
/// ```
///
/// and starts each translation unit with its own preamble: the ``ScalarCodegen/preambleHelpers``
/// as `__device__` functions (`th_lgamma` from `lgamma`, as there is no `lgamma_r` on the
/// device; no libmvec `simd` declarations), then `ScalarCodegen(dialect: .cudaC).helperFunctions()`.
/// NVRTC, which has no `<math.h>`, also needs `NAN` and `INFINITY` defined.
public struct CodegenDialect: Hashable, Sendable {
    /// A short name, for messages.
    public var name: String
    /// Whether GNU statement expressions `({ ... })` are available.
    public var statementExpressions: Bool
    /// The declaration specifiers of generated helper functions (`static inline`), used when
    /// ``statementExpressions`` is false.
    public var helperSpecifiers: String

    public init(name: String, statementExpressions: Bool, helperSpecifiers: String) {
        self.name = name
        self.statementExpressions = statementExpressions
        self.helperSpecifiers = helperSpecifiers
    }

    /// C as gcc and clang compile it for the CPU backend (GNU C11).
    public static let c = CodegenDialect(name: "c", statementExpressions: true, helperSpecifiers: "static inline")
}
