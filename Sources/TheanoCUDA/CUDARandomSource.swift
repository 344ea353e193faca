import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

/// CUDA C for the random draws of `RandomVariable`: the same Philox4x32-10 stream as the
/// reference and the CPU backend, element `i` of a draw from the block for counter
/// `(i, stream)` under `key`, so a seed gives the same numbers on every backend and at any
/// launch size:
///
/// ```c
/// TH_KERNEL void name(int64_t count, uint64_t key, uint64_t stream, T* out)
/// ```
///
/// Uniforms and integers are the reference's bit for bit (24 or 53 random bits scaled by a
/// power of two; `low + mulhi(bits, high - low)`). Normals are Box-Muller in double precision,
/// as the reference computes them, with the device's `log`, `sin` and `cos` (within an ulp of
/// the host's); the truncated normal redraws outside two standard deviations from the
/// reference's counters, 64 attempts at most.
public enum CUDARandomSource {
    /// Whether there is a kernel for draws of `distribution` as `dtype`.
    public static func supports(_ distribution: RandomDistribution, _ dtype: DType) -> Bool {
        [.float32, .float64, .int32, .int64].contains(dtype)
    }

    public static func kernel(name: String, distribution: RandomDistribution, dtype: DType) throws -> String {
        guard supports(distribution, dtype) else {
            throw TheanoError.typeMismatch("CUDA random: no kernel for \(distribution) draws of \(dtype)")
        }
        let t = ScalarCodegen.cType(dtype)
        // The reference's element value: a double (uniform, normal) or an int64 (integers),
        // converted to the dtype as the reference converts it.
        let value: String
        var integerDraw = false
        switch distribution {
        case .uniform:
            value = dtype == .float32 ? "(double)(b.x >> 8) * 0x1.0p-24" : "(double)(th_low64(b) >> 11) * 0x1.0p-53"
        case .normal:
            value = "th_normals(b).x"
        case .truncatedNormal:
            value = "th_truncated_normal(key, stream, (uint64_t)i, b)"
        case .integers(let low, let high):
            // Bit patterns as unsigned literals (a literal of Int64.min is not valid C).
            let (l, h) = (hexLiteral(low), hexLiteral(high))
            value = "(int64_t)(\(l) + th_mulhi64(th_low64(b), \(h) - \(l)))"
            integerDraw = true
        }
        let conversion = dtype.isInteger && !integerDraw ? "(int64_t)" : (integerDraw && !dtype.isInteger ? "(double)" : "")
        let store = "out[i] = (\(t))(\(conversion)(\(value)));"
        return """
        TH_KERNEL void \(name)(int64_t count, uint64_t key, uint64_t stream, \(t)* __restrict__ out) {
            for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += (int64_t)gridDim.x * blockDim.x) {
                const th_philox_block b = th_philox(key, stream, (uint64_t)i);
                \(store)
            }
        }

        """
    }

    /// `value`'s two's-complement bits as a `uint64_t` literal.
    private static func hexLiteral(_ value: Int) -> String {
        "((uint64_t)0x" + String(UInt64(bitPattern: Int64(value)), radix: 16) + "ULL)"
    }

    /// The generator and the variates, once per translation unit.
    public static let helpers = """
    #ifndef TH_MULHI64
    #define th_mulhi64(a, b) __umul64hi((a), (b))
    #endif
    typedef struct { uint32_t x, y, z, w; } th_philox_block;
    typedef struct { double x, y; } th_normal_pair;
    static __device__ th_philox_block th_philox(uint64_t key, uint64_t stream, uint64_t index) {
        uint32_t c0 = (uint32_t)index, c1 = (uint32_t)(index >> 32), c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
        uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
        for (int round = 0; round < 10; round++) {
            if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
            const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
            const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n1 = (uint32_t)p1;
            const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1, n3 = (uint32_t)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        }
        th_philox_block b = {c0, c1, c2, c3};
        return b;
    }
    static __device__ uint64_t th_low64(th_philox_block b) { return (uint64_t)b.x | (uint64_t)b.y << 32; }
    static __device__ uint64_t th_high64(th_philox_block b) { return (uint64_t)b.z | (uint64_t)b.w << 32; }
    static __device__ th_normal_pair th_normals(th_philox_block b) {
        const double u1 = ((double)(th_low64(b) >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = (double)(th_high64(b) >> 11) * 0x1.0p-53;
        const double r = sqrt(-2.0 * log(u1)), theta = 2.0 * 3.14159265358979323846 * u2;
        th_normal_pair p = {r * cos(theta), r * sin(theta)};
        return p;
    }
    static __device__ double th_truncated_normal(uint64_t key, uint64_t stream, uint64_t i, th_philox_block b) {
        th_normal_pair p = th_normals(b);
        for (int attempt = 1; attempt <= 64; attempt++) {
            if (fabs(p.x) <= 2.0) return p.x;
            if (fabs(p.y) <= 2.0) return p.y;
            if (attempt == 64) break;
            p = th_normals(th_philox(key, stream, i | ((uint64_t)attempt << 40)));
        }
        return 0.0;
    }

    """
}

/// A `RandomVariable` node on the device: the state and sizes read and checked by the op (so
/// errors are the reference's), the draw filled by the Philox kernel, the next state computed
/// on the host (two integers).
struct CUDARandomKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel
    let op: RandomVariable

    /// The draw stays in device memory; the state, sizes and parameters are read on the host
    /// (the next state is worked out there).
    var acceptsDeviceArrays: Bool { true }
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { false }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let draw = try op.prepare(try inputs.map { try $0.onHost() })
        let out = try device.allocateArray(draw.shape, op.dtype)
        if draw.count > 0 {
            try launch(device, kernel, elements: draw.count, extent: nil,
                       [UInt64(draw.count), draw.key, draw.counter, device.address(of: out).raw])
        }
        return [out, draw.nextState]
    }
}
