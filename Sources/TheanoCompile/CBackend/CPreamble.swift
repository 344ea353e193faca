/// The C text every generated translation unit starts with: types, the kernel calling
/// convention, SIMD declarations of libm functions (so gcc vectorises loops that call them
/// through glibc's libmvec without -ffast-math), and helpers that reproduce the reference
/// semantics of `ScalarOp+Reference.swift` exactly where C differs (integer wrapping,
/// division by zero, float-to-int casts, NaN-propagating maximum/minimum, NumPy's divmod).
///
/// A translation unit gets only the declarations and helpers its kernels name
/// (``text(for:)``). The helpers stay `static inline` in every unit rather than in the
/// runtime library: they sit inside vectorised loops, where a call across a library boundary
/// would stop the vectoriser, and parsing them costs about 2 ms of a unit's compile (measured
/// in docs/PERFORMANCE.md).
enum CPreamble {
    /// Everything: the text a unit using every declaration and helper starts with.
    static var text: String { render(simdDeclarations, helpers) }

    /// The preamble for a unit whose kernel bodies are `code`: the calling convention, the
    /// SIMD declarations of the libm functions `code` calls, and the helpers it names (with
    /// the functions those helpers call).
    static func text(for code: String) -> String {
        let used = identifiers(in: code)
        let named = helpers.filter { h in h.names.contains(where: used.contains) }
        let all = used.union(named.flatMap { identifiers(in: $0.text) })
        return render(simdDeclarations.filter { d in d.functions.contains(where: all.contains) },
                      helpers.filter { h in h.names.contains(where: all.contains) })
    }

    /// The C identifiers in `code`, in one pass over its bytes (units can be large: searching
    /// the text once per helper name cost more than generating it).
    static func identifiers(in code: String) -> Set<String> {
        var found: Set<String> = []
        var word: [UInt8] = []
        func flush() {
            if let first = word.first, !(48...57).contains(first) { found.insert(String(decoding: word, as: UTF8.self)) }
            word.removeAll(keepingCapacity: true)
        }
        for c in code.utf8 {
            if (97...122).contains(c) || (65...90).contains(c) || (48...57).contains(c) || c == 95 {
                word.append(c)
            } else if !word.isEmpty {
                flush()
            }
        }
        flush()
        return found
    }

    private static func render(_ declarations: [SIMDDeclaration], _ helpers: [Helper]) -> String {
        var out = base + "\n"
        out += declarations.filter { !$0.needsNewGlibc }.map { $0.line + "\n" }.joined()
        let newer = declarations.filter(\.needsNewGlibc)
        if !newer.isEmpty {
            out += "#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))\n"
            out += newer.map { $0.line + "\n" }.joined()
            out += "#endif\n"
        }
        return out + helpers.map { "\n" + $0.text + "\n" }.joined()
    }

    private struct Helper {
        /// Names whose appearance in a unit's code means the helper is needed.
        let names: [String]
        let text: String
    }

    private struct SIMDDeclaration {
        let functions: [String]
        let line: String
        /// Declared only for glibc 2.35 and later, where libmvec has the function.
        let needsNewGlibc: Bool
    }

    private static let base = #"""
    #include <stdint.h>
    #include <stddef.h>
    #include <string.h>
    #include <math.h>

    /* Kernel calling convention: every kernel is
         int name(const th_call* call);
       and returns 0 on success, or an error code (the runtime then reruns the node's
       reference implementation to produce the error message). Arrays are described by data
       pointers and strides in elements, for the node's operands in order (inputs, then
       outputs), over the iteration shape. */
    typedef struct {
        int64_t ndim;
        const int64_t* shape;       /* iteration shape, ndim entries */
        char* const* data;          /* one pointer per operand */
        const int64_t* strides;     /* operand k's strides at strides[k * ndim] */
        int64_t reduce_ndim;        /* reductions: the last reduce_ndim axes are reduced */
        void (*parallel_for)(void* pool, int64_t n, int64_t grain, void* ctx, void (*body)(void*, int64_t, int64_t));
        void* pool;
    } th_call;

    #define TH_ERR_INT_POW 1

    /* Vector versions of these exist in libmvec (glibc >= 2.35 for most). */
    #define TH_SIMD __attribute__((simd("notinbranch")))
    """#
    private static let simdDeclarations: [SIMDDeclaration] = [
        SIMDDeclaration(functions: ["expf", "exp"], line: #"TH_SIMD float expf(float); TH_SIMD double exp(double);"#, needsNewGlibc: false),
        SIMDDeclaration(functions: ["logf", "log"], line: #"TH_SIMD float logf(float); TH_SIMD double log(double);"#, needsNewGlibc: false),
        SIMDDeclaration(functions: ["sinf", "sin"], line: #"TH_SIMD float sinf(float); TH_SIMD double sin(double);"#, needsNewGlibc: false),
        SIMDDeclaration(functions: ["cosf", "cos"], line: #"TH_SIMD float cosf(float); TH_SIMD double cos(double);"#, needsNewGlibc: false),
        SIMDDeclaration(functions: ["powf", "pow"], line: #"TH_SIMD float powf(float, float); TH_SIMD double pow(double, double);"#, needsNewGlibc: false),
        SIMDDeclaration(functions: ["tanf", "tan"], line: #"TH_SIMD float tanf(float); TH_SIMD double tan(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["tanhf", "tanh"], line: #"TH_SIMD float tanhf(float); TH_SIMD double tanh(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["sinhf", "sinh"], line: #"TH_SIMD float sinhf(float); TH_SIMD double sinh(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["coshf", "cosh"], line: #"TH_SIMD float coshf(float); TH_SIMD double cosh(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["asinf", "asin"], line: #"TH_SIMD float asinf(float); TH_SIMD double asin(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["acosf", "acos"], line: #"TH_SIMD float acosf(float); TH_SIMD double acos(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["atanf", "atan"], line: #"TH_SIMD float atanf(float); TH_SIMD double atan(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["asinhf", "asinh"], line: #"TH_SIMD float asinhf(float); TH_SIMD double asinh(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["acoshf", "acosh"], line: #"TH_SIMD float acoshf(float); TH_SIMD double acosh(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["atanhf", "atanh"], line: #"TH_SIMD float atanhf(float); TH_SIMD double atanh(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["expm1f", "expm1"], line: #"TH_SIMD float expm1f(float); TH_SIMD double expm1(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["log1pf", "log1p"], line: #"TH_SIMD float log1pf(float); TH_SIMD double log1p(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["log2f", "log2"], line: #"TH_SIMD float log2f(float); TH_SIMD double log2(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["log10f", "log10"], line: #"TH_SIMD float log10f(float); TH_SIMD double log10(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["exp2f", "exp2"], line: #"TH_SIMD float exp2f(float); TH_SIMD double exp2(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["erff", "erf"], line: #"TH_SIMD float erff(float); TH_SIMD double erf(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["erfcf", "erfc"], line: #"TH_SIMD float erfcf(float); TH_SIMD double erfc(double);"#, needsNewGlibc: true),
        SIMDDeclaration(functions: ["atan2f", "atan2"], line: #"TH_SIMD float atan2f(float, float); TH_SIMD double atan2(double, double);"#, needsNewGlibc: true),
    ]

    private static let helpers: [Helper] = [
        Helper(names: ["th_lgammaf", "th_lgamma"], text: #"""
        extern float lgammaf_r(float, int*);
        extern double lgamma_r(double, int*);

        static inline float th_lgammaf(float x) { int s; return lgammaf_r(x, &s); }
        static inline double th_lgamma(double x) { int s; return lgamma_r(x, &s); }
        """#),
    ] + ReferenceHelpers.definitions(specifiers: "static inline").map { Helper(names: $0.names, text: $0.text) }
}
