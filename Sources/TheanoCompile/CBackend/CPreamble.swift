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
        Helper(names: ["th_digamma"], text: #"""
        static inline double th_digamma(double x) {
            if (isnan(x) || x == -INFINITY) return NAN;
            if (x == INFINITY) return INFINITY;
            double r = 0;
            if (x <= 0) {
                if (x == floor(x)) return NAN;
                r -= M_PI / tan(M_PI * x);
                x = 1 - x;
            }
            while (x < 10) { r -= 1 / x; x += 1; }
            double inv = 1 / x, inv2 = inv * inv;
            double s = inv2 * (1.0/12 - inv2 * (1.0/120 - inv2 * (1.0/252 - inv2 * (1.0/240 - inv2 * (1.0/132)))));
            return r + log(x) - 0.5 * inv - s;
        }
        """#),
        Helper(names: ["th_f2i"], text: #"""
        /* Float to integer as the reference converts: NaN -> 0, saturate to int64, then wrap. */
        static inline int64_t th_f2i(double x) {
            if (isnan(x)) return 0;
            if (x >= 9.2233720368547758e18) return INT64_MAX;
            if (x <= -9.2233720368547758e18) return INT64_MIN;
            return (int64_t)x;
        }
        """#),
        Helper(names: ["th_floordiv_f", "th_floordiv_", "th_mod_f", "th_mod_"], text: #"""
        /* NumPy's floating-point divmod. */
        #define TH_FLOAT_DIVMOD(T, SUF) \
        static inline T th_floordiv_##SUF(T a, T b) { \
            if (b == 0) return a / b; \
            T mod = fmod##SUF(a, b); T div = (a - mod) / b; \
            if (mod != 0) { if ((b < 0) != (mod < 0)) { mod += b; div -= 1; } } \
            if (div != 0) { T f = floor##SUF(div); if (div - f > (T)0.5) f += 1; return f; } \
            return copysign##SUF((T)0, a / b); \
        } \
        static inline T th_mod_##SUF(T a, T b) { \
            if (b == 0) return NAN; \
            T mod = fmod##SUF(a, b); \
            if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; } else mod = copysign##SUF((T)0, b); \
            return mod; \
        }
        TH_FLOAT_DIVMOD(float, f)
        TH_FLOAT_DIVMOD(double, )
        """#),
        Helper(names: ["th_ifloordiv", "th_imod"], text: #"""
        /* Python's integer divmod, computed in 64 bits (wrapping), 0 for division by zero. */
        static inline int64_t th_ifloordiv(int64_t a, int64_t b) {
            if (b == 0) return 0;
            if (b == -1) return (int64_t)(0u - (uint64_t)a);
            int64_t q = a / b, m = a % b;
            if (m != 0 && ((m < 0) != (b < 0))) q -= 1;
            return q;
        }
        static inline int64_t th_imod(int64_t a, int64_t b) {
            if (b == 0 || b == -1) return 0;
            int64_t m = a % b;
            if (m != 0 && ((m < 0) != (b < 0))) m += b;
            return m;
        }
        """#),
        Helper(names: ["th_ipow", "TH_ERR_INT_POW"], text: #"""
        static inline uint64_t th_ipow(uint64_t base, int64_t e, int* err) {
            if (e < 0) { *err = TH_ERR_INT_POW; return 0; }
            uint64_t r = 1;
            while (e > 0) { if (e & 1) r *= base; base *= base; e >>= 1; }
            return r;
        }
        """#),
    ]
}
