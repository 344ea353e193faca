import TheanoArray
import TheanoCompile
import TheanoTensor

extension CodegenDialect {
    /// CUDA C as NVRTC compiles it: no GNU statement expressions, so ops that need temporaries
    /// call `__device__` helpers (``ScalarCodegen/helperFunctions()``).
    public static let cudaC = CodegenDialect(name: "cuda", statementExpressions: false,
                                             helperSpecifiers: "static __device__ __forceinline__")
}

/// CUDA C for the CUDA backend's generated kernels, from the same scalar code generator as
/// the C backend's (``ScalarCodegen`` in the ``CodegenDialect/cudaC`` dialect).
///
/// An elementwise kernel (one ``ScalarProgram``: a fused `Composite` or a single op) is a
/// grid-stride loop over the iteration space:
///
/// ```c
/// TH_KERNEL void name(th_cuda_extent e, const int64_t* strides, char* const* data, int* err)
/// ```
///
/// (`TH_KERNEL` is `extern "C" __global__` for NVRTC and nothing for ``CUDAEmulator``, which
/// compiles the same text as C.)
///
/// `e` holds the element count, the rank, whether every operand is C-contiguous over the whole
/// shape (then element `i` of every operand is at index `i`), and the shape (at most
/// ``maxDimensions`` axes); `strides` (device memory) holds operand `k`'s strides in elements
/// at `strides[k * ndim]`, inputs then outputs (0 on broadcast axes); `data` (device memory)
/// the operands' addresses; `err` receives `TH_ERR_INT_POW` when an integer power has a
/// negative exponent (the runtime then reruns the node's reference to report it), as the C
/// kernels' return code does.
public enum CUDAKernelSource {
    /// The most axes a kernel's iteration space can have (more are merged or refused by the
    /// launcher).
    public static let maxDimensions = 8

    /// What every translation unit starts with: fixed-width integer types and the float
    /// constants NVRTC lacks (it has no C library headers), the calling convention's extent
    /// struct, the reference-semantics helpers as device functions, then the helper functions
    /// of ops that need temporaries.
    public static var preamble: String {
        base + helpers + ScalarCodegen(dialect: .cudaC).helperFunctions()
    }

    /// A translation unit holding `kernels` (each from ``elementwise(_:name:)``), with the
    /// preamble.
    public static func unit(_ kernels: [String]) -> String {
        preamble + "\n" + kernels.joined(separator: "\n")
    }

    /// The elementwise kernel `name` computing `program` (see the type's documentation).
    ///
    /// - Throws: `TheanoError.unsupported` when an op has no code for its dtypes.
    public static func elementwise(_ program: ScalarProgram, name: String) throws -> String {
        let inputs = program.inputTypes.count, operands = inputs + program.outputs.count
        var lines = try bodyLines(program, indent: "        ") { k in "o\(k)" }
        for (k, out) in program.outputs.enumerated() {
            let t = ScalarCodegen.cType(program.dtype(of: out))
            lines.append("        ((\(t)*)data[\(inputs + k)])[o\(inputs + k)] = \(operandText(out));")
        }
        let offsets = (0..<operands).map { "o\($0) = i" }.joined(separator: ", ")
        let zero = (0..<operands).map { "o\($0) = 0;" }.joined(separator: " ")
        let step = (0..<operands).map { "o\($0) += idx * strides[\($0) * e.ndim + d];" }.joined(separator: " ")
        return """
        TH_KERNEL void \(name)(th_cuda_extent e, const int64_t* __restrict__ strides,
                                           char* const* __restrict__ data, int* __restrict__ err) {
            int local = 0;
            const int64_t stride = (int64_t)gridDim.x * blockDim.x;
            for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < e.n; i += stride) {
                int64_t \(offsets);
                if (!e.contiguous) {
                    \(zero)
                    int64_t rest = i;
                    for (int64_t d = e.ndim - 1; d >= 0; d--) {
                        const int64_t idx = rest % e.shape[d];
                        rest /= e.shape[d];
                        \(step)
                    }
                }
        \(lines.joined(separator: "\n"))
            }
            if (local) atomicOr(err, local);
        }

        """
    }

    /// C for a program operand: input `k` is `i<k>`, step `s` is `t<s>`, constants literals.
    static func operandText(_ o: ScalarProgram.Operand) -> String {
        switch o {
        case .input(let k): return "i\(k)"
        case .step(let s): return "t\(s)"
        case .constant(let v, let t): return ScalarCodegen.literal(v, t)
        }
    }

    /// The statements that load a program's inputs (`i<k>` from `data[k]` at the index
    /// `index(k)` gives) and compute its steps (`t<s>`), in the CUDA dialect; integer `pow`
    /// sets `local`.
    static func bodyLines(_ program: ScalarProgram, indent: String, index: (Int) -> String) throws -> [String] {
        let codegen = ScalarCodegen(dialect: .cudaC)
        var lines: [String] = []
        for (k, t) in program.inputTypes.enumerated() {
            let ct = ScalarCodegen.cType(t)
            lines.append("\(indent)const \(ct) i\(k) = ((const \(ct)*)data[\(k)])[\(index(k))];")
        }
        for (s, step) in program.steps.enumerated() {
            let expression = try codegen.expression(step.op, step.operands.map(operandText), step.operands.map(program.dtype(of:)),
                                                    out: step.dtype, errorFlag: "local")
            lines.append("\(indent)const \(ScalarCodegen.cType(step.dtype)) t\(s) = \(expression);")
        }
        return lines
    }

    private static let base = """
    /* Generated by Theano for Swift's CUDA backend. */
    typedef signed char int8_t;
    typedef short int16_t;
    typedef int int32_t;
    typedef long long int64_t;
    typedef unsigned char uint8_t;
    typedef unsigned short uint16_t;
    typedef unsigned int uint32_t;
    typedef unsigned long long uint64_t;
    #ifndef TH_KERNEL
    #define TH_KERNEL extern "C" __global__
    #endif
    #ifndef INT64_MAX
    #define INT64_MAX 9223372036854775807LL
    #define INT64_MIN (-INT64_MAX - 1LL)
    #endif
    #ifndef NAN
    #define NAN __int_as_float(0x7fc00000)
    #define INFINITY __int_as_float(0x7f800000)
    #endif
    #ifndef M_PI
    #define M_PI 3.14159265358979323846
    #endif
    #define TH_ERR_INT_POW 1
    #define TH_MAX_DIMS \(maxDimensions)

    typedef struct {
        int64_t n;                     /* elements */
        int64_t ndim;
        int64_t contiguous;            /* every operand C-contiguous over the whole shape */
        int64_t shape[TH_MAX_DIMS];
    } th_cuda_extent;

    """

    private static let helpers = #"""
    static __device__ __forceinline__ float th_lgammaf(float x) { return lgammaf(x); }
    static __device__ __forceinline__ double th_lgamma(double x) { return lgamma(x); }

    static __device__ double th_digamma(double x) {
        if (isnan(x) || x == -(double)INFINITY) return (double)NAN;
        if (x == (double)INFINITY) return (double)INFINITY;
        double r = 0;
        if (x <= 0) {
            if (x == floor(x)) return (double)NAN;
            r -= M_PI / tan(M_PI * x);
            x = 1 - x;
        }
        while (x < 10) { r -= 1 / x; x += 1; }
        double inv = 1 / x, inv2 = inv * inv;
        double s = inv2 * (1.0/12 - inv2 * (1.0/120 - inv2 * (1.0/252 - inv2 * (1.0/240 - inv2 * (1.0/132)))));
        return r + log(x) - 0.5 * inv - s;
    }

    /* Float to integer as the reference converts: NaN -> 0, saturate to int64, then wrap. */
    static __device__ __forceinline__ int64_t th_f2i(double x) {
        if (isnan(x)) return 0;
        if (x >= 9.2233720368547758e18) return INT64_MAX;
        if (x <= -9.2233720368547758e18) return INT64_MIN;
        return (int64_t)x;
    }

    /* NumPy's floating-point divmod. */
    #define TH_FLOAT_DIVMOD(T, SUF) \
    static __device__ T th_floordiv_##SUF(T a, T b) { \
        if (b == 0) return a / b; \
        T mod = fmod##SUF(a, b); T div = (a - mod) / b; \
        if (mod != 0) { if ((b < 0) != (mod < 0)) { mod += b; div -= 1; } } \
        if (div != 0) { T f = floor##SUF(div); if (div - f > (T)0.5) f += 1; return f; } \
        return copysign##SUF((T)0, a / b); \
    } \
    static __device__ T th_mod_##SUF(T a, T b) { \
        if (b == 0) return (T)NAN; \
        T mod = fmod##SUF(a, b); \
        if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; } else mod = copysign##SUF((T)0, b); \
        return mod; \
    }
    TH_FLOAT_DIVMOD(float, f)
    TH_FLOAT_DIVMOD(double, )

    /* Python's integer divmod, computed in 64 bits (wrapping), 0 for division by zero. */
    static __device__ __forceinline__ int64_t th_ifloordiv(int64_t a, int64_t b) {
        if (b == 0) return 0;
        if (b == -1) return (int64_t)(0ull - (uint64_t)a);
        int64_t q = a / b, m = a % b;
        if (m != 0 && ((m < 0) != (b < 0))) q -= 1;
        return q;
    }
    static __device__ __forceinline__ int64_t th_imod(int64_t a, int64_t b) {
        if (b == 0 || b == -1) return 0;
        int64_t m = a % b;
        if (m != 0 && ((m < 0) != (b < 0))) m += b;
        return m;
    }

    static __device__ __forceinline__ uint64_t th_ipow(uint64_t base, int64_t e, int* err) {
        if (e < 0) { *err = TH_ERR_INT_POW; return 0; }
        uint64_t r = 1;
        while (e > 0) { if (e & 1) r *= base; base *= base; e >>= 1; }
        return r;
    }

    """#
}
