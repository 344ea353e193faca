/// The C text every generated translation unit starts with: types, the kernel calling
/// convention, SIMD declarations of libm functions (so gcc vectorises loops that call them
/// through glibc's libmvec without -ffast-math), and helpers that reproduce the reference
/// semantics of `ScalarOp+Reference.swift` exactly where C differs (integer wrapping,
/// division by zero, float-to-int casts, NaN-propagating maximum/minimum, NumPy's divmod).
enum CPreamble {
    static let text = #"""
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
    TH_SIMD float expf(float); TH_SIMD double exp(double);
    TH_SIMD float logf(float); TH_SIMD double log(double);
    TH_SIMD float sinf(float); TH_SIMD double sin(double);
    TH_SIMD float cosf(float); TH_SIMD double cos(double);
    TH_SIMD float powf(float, float); TH_SIMD double pow(double, double);
    #if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
    TH_SIMD float tanf(float); TH_SIMD double tan(double);
    TH_SIMD float tanhf(float); TH_SIMD double tanh(double);
    TH_SIMD float sinhf(float); TH_SIMD double sinh(double);
    TH_SIMD float coshf(float); TH_SIMD double cosh(double);
    TH_SIMD float asinf(float); TH_SIMD double asin(double);
    TH_SIMD float acosf(float); TH_SIMD double acos(double);
    TH_SIMD float atanf(float); TH_SIMD double atan(double);
    TH_SIMD float asinhf(float); TH_SIMD double asinh(double);
    TH_SIMD float acoshf(float); TH_SIMD double acosh(double);
    TH_SIMD float atanhf(float); TH_SIMD double atanh(double);
    TH_SIMD float expm1f(float); TH_SIMD double expm1(double);
    TH_SIMD float log1pf(float); TH_SIMD double log1p(double);
    TH_SIMD float log2f(float); TH_SIMD double log2(double);
    TH_SIMD float log10f(float); TH_SIMD double log10(double);
    TH_SIMD float exp2f(float); TH_SIMD double exp2(double);
    TH_SIMD float erff(float); TH_SIMD double erf(double);
    TH_SIMD float erfcf(float); TH_SIMD double erfc(double);
    TH_SIMD float atan2f(float, float); TH_SIMD double atan2(double, double);
    #endif

    extern float lgammaf_r(float, int*);
    extern double lgamma_r(double, int*);

    static inline float th_lgammaf(float x) { int s; return lgammaf_r(x, &s); }
    static inline double th_lgamma(double x) { int s; return lgamma_r(x, &s); }

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

    /* Float to integer as the reference converts: NaN -> 0, saturate to int64, then wrap. */
    static inline int64_t th_f2i(double x) {
        if (isnan(x)) return 0;
        if (x >= 9.2233720368547758e18) return INT64_MAX;
        if (x <= -9.2233720368547758e18) return INT64_MIN;
        return (int64_t)x;
    }

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
    static inline uint64_t th_ipow(uint64_t base, int64_t e, int* err) {
        if (e < 0) { *err = TH_ERR_INT_POW; return 0; }
        uint64_t r = 1;
        while (e > 0) { if (e & 1) r *= base; base *= base; e >>= 1; }
        return r;
    }
    """#
}
