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

    /// Whether a kernel of `program` can set its error word: only an integer power can (a
    /// negative exponent, which the reference reports). Other launches pass no error word and
    /// read nothing back.
    public static func canReportError(_ program: ScalarProgram) -> Bool {
        program.steps.contains { step in
            guard case .pow = step.op else { return false }
            return !(step.operands.first.map(program.dtype(of:)) ?? step.dtype).isFloatingPoint
        }
    }

    /// The elements each thread takes at once on the vectorised path of `program`'s kernel:
    /// 16 bytes of its widest operand type, at most 4 (float32: 4, float64: 2).
    static func packWidth(_ program: ScalarProgram) -> Int {
        let types = program.inputTypes + program.outputs.map(program.dtype(of:))
        let widest = types.map(\.byteSize).max() ?? 4
        return Swift.max(1, Swift.min(4, 16 / Swift.max(widest, 1)))
    }

    /// The elementwise kernel `name` computing `program` (see the type's documentation).
    ///
    /// When every operand is C-contiguous and 16-byte aligned, each thread first takes packs of
    /// ``packWidth(_:)`` consecutive elements with one aligned vector load or store per operand
    /// (a struct of that many elements, `__align__`ed to its size), then the remaining
    /// elements (and every element of a strided or unaligned call) one at a time.
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
        // The vectorised path: one pack type per operand.
        let width = packWidth(program)
        let types = program.inputTypes + program.outputs.map(program.dtype(of:))
        let packs = types.enumerated().map { k, t in
            "typedef struct __align__(\(width * t.byteSize)) { \(ScalarCodegen.cType(t)) v[\(width)]; } \(name)_pack\(k);"
        }
        var packed = try bodyLines(program, indent: "                ") { k, _ in "p\(k).v[j]" }
        for (k, out) in program.outputs.enumerated() { packed.append("                p\(inputs + k).v[j] = \(operandText(out));") }
        let loads = (0..<inputs).map { "            const \(name)_pack\($0) p\($0) = ((const \(name)_pack\($0)*)data[\($0)])[c];" }
        let outs = (inputs..<operands).map { "            \(name)_pack\($0) p\($0);" }
        let stores = (inputs..<operands).map { "            ((\(name)_pack\($0)*)data[\($0)])[c] = p\($0);" }
        let aligned = (0..<operands).map { "(uint64_t)data[\($0)]" }.joined(separator: " | ")
        return """
        \(packs.joined(separator: "\n"))
        TH_KERNEL void \(name)(th_cuda_extent e, const int64_t* __restrict__ strides,
                                           char* const* __restrict__ data, int* __restrict__ err) {
            int local = 0;
            const int64_t stride = (int64_t)gridDim.x * blockDim.x;
            int64_t first = 0;
            if (e.contiguous && ((\(aligned)) & 15) == 0) {
                const int64_t count = e.n / \(width);
                for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < count; c += stride) {
        \(loads.joined(separator: "\n"))
        \(outs.joined(separator: "\n"))
                    #pragma unroll
                    for (int j = 0; j < \(width); j++) {
        \(packed.joined(separator: "\n"))
                    }
        \(stores.joined(separator: "\n"))
                }
                first = count * \(width);
            }
            for (int64_t i = first + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < e.n; i += stride) {
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
        try bodyLines(program, indent: indent, load: { k, ct in "((const \(ct)*)data[\(k)])[\(index(k))]" })
    }

    /// ``bodyLines(_:indent:index:)`` with each input `k` (of C type `ct`) read by the
    /// expression `load(k, ct)`.
    static func bodyLines(_ program: ScalarProgram, indent: String, load: (Int, String) -> String) throws -> [String] {
        let codegen = ScalarCodegen(dialect: .cudaC)
        var lines: [String] = []
        for (k, t) in program.inputTypes.enumerated() {
            let ct = ScalarCodegen.cType(t)
            lines.append("\(indent)const \(ct) i\(k) = \(load(k, ct));")
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
    #ifndef TH_ATOMIC_ADD
    #define th_atomic_add_f32(p, v) atomicAdd((p), (v))
    #define th_atomic_add_f64(p, v) atomicAdd((p), (v))
    #define th_atomic_add_i32(p, v) atomicAdd((p), (v))
    #define th_atomic_add_i64(p, v) atomicAdd((unsigned long long*)(p), (unsigned long long)(v))
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

    /// The `lgamma` pair (the device library's `lgamma` has no global sign to avoid), then the
    /// reference helpers every dialect shares (``ReferenceHelpers``) as device functions.
    private static var helpers: String {
        """
        static __device__ __forceinline__ float th_lgammaf(float x) { return lgammaf(x); }
        static __device__ __forceinline__ double th_lgamma(double x) { return lgamma(x); }

        """ + ReferenceHelpers.definitions(specifiers: "static __device__").map { $0.text + "\n\n" }.joined()
    }
}
