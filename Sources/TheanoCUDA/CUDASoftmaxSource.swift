import TheanoArray
import TheanoCompile

/// CUDA C softmax and log-softmax over contiguous lanes (the launcher moves the axis last):
///
/// ```c
/// TH_KERNEL void name(int64_t lanes, int64_t n, const T* x, T* y)
/// ```
///
/// One block per lane (grid-stride over lanes). The block finds the lane's maximum and whether
/// it holds a NaN, then the sum of `exp(x - max)`, each with a warp-shuffle tree and a
/// shared-memory step, and writes the lane. The edge cases follow the reference
/// (`NDArray.softmax`): a lane with a NaN is all NaN; a lane whose maximum is infinite gives
/// the entries equal to it equal shares (all `-inf`: uniform) and the others 0 (`-inf` in log
/// space). The sum accumulates in the element type, as the reference's does (in another order,
/// so the last bits may differ). Blocks must be a whole number of warps.
public enum CUDASoftmaxSource {
    public static func kernel(name: String, dtype: DType, log: Bool) throws -> String {
        guard dtype == .float32 || dtype == .float64 else {
            throw TheanoError.typeMismatch("CUDA softmax: needs float32 or float64, got \(dtype)")
        }
        let t = ScalarCodegen.cType(dtype), f = dtype == .float32 ? "f" : ""
        let write: String
        if log {
            write = """
                        if (nan) { y[base + i] = (\(t))NAN; }
                        else if (isinf(maximum)) { y[base + i] = v == maximum ? -log\(f)((\(t))ties) : -(\(t))INFINITY; }
                        else { y[base + i] = v - maximum - logSum; }
            """
        } else {
            write = """
                        if (nan) { y[base + i] = (\(t))NAN; }
                        else if (isinf(maximum)) { y[base + i] = v == maximum ? (\(t))1 / (\(t))ties : (\(t))0; }
                        else { y[base + i] = exp\(f)(v - maximum) / total; }
            """
        }
        return """
        TH_KERNEL void \(name)(int64_t lanes, int64_t n, const \(t)* __restrict__ x, \(t)* __restrict__ y) {
            __shared__ \(t) warpValues[32];
            __shared__ int warpFlags[32];
            __shared__ \(t) shared;
            __shared__ int sharedFlag;
            const unsigned warps = (blockDim.x + 31) / 32, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
            for (int64_t l = blockIdx.x; l < lanes; l += gridDim.x) {
                const int64_t base = l * n;
                /* The maximum over numbers, and whether there is a NaN. */
                \(t) m = -(\(t))INFINITY;
                int nan = 0;
                for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
                    const \(t) v = x[base + i];
                    if (isnan(v)) nan = 1; else if (v > m) m = v;
                }
                for (int s = 16; s > 0; s >>= 1) {
                    const \(t) other = __shfl_down_sync(0xffffffffu, m, s);
                    const int otherNaN = __shfl_down_sync(0xffffffffu, nan, s);
                    if (other > m) m = other;
                    nan |= otherNaN;
                }
                if (lane == 0) { warpValues[warp] = m; warpFlags[warp] = nan; }
                __syncthreads();
                if (threadIdx.x == 0) {
                    \(t) total = warpValues[0];
                    int flag = warpFlags[0];
                    for (unsigned w = 1; w < warps; w++) { if (warpValues[w] > total) total = warpValues[w]; flag |= warpFlags[w]; }
                    shared = total;
                    sharedFlag = flag;
                }
                __syncthreads();
                const \(t) maximum = shared;
                nan = sharedFlag;
                __syncthreads();
                /* The sum of exp(x - max), or the number of entries equal to an infinite maximum. */
                \(t) partial = 0;
                int count = 0;
                for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
                    const \(t) v = x[base + i];
                    if (isinf(maximum)) count += v == maximum; else partial += exp\(f)(v - maximum);
                }
                for (int s = 16; s > 0; s >>= 1) {
                    partial += __shfl_down_sync(0xffffffffu, partial, s);
                    count += __shfl_down_sync(0xffffffffu, count, s);
                }
                if (lane == 0) { warpValues[warp] = partial; warpFlags[warp] = count; }
                __syncthreads();
                if (threadIdx.x == 0) {
                    \(t) total = 0;
                    int ties = 0;
                    for (unsigned w = 0; w < warps; w++) { total += warpValues[w]; ties += warpFlags[w]; }
                    shared = total;
                    sharedFlag = ties;
                }
                __syncthreads();
                const \(t) total = shared;
                const int ties = sharedFlag;
                const \(t) logSum = log\(f)(total);
                (void)logSum; (void)ties;
                for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
                    const \(t) v = x[base + i];
        \(write)
                }
                __syncthreads();
            }
        }

        """
    }
}
