import TheanoArray
import TheanoCompile

/// CUDA C for the fused softmax cross-entropy against integer labels
/// (`CrossEntropySoftmax1Hot` and its gradient). The forward node runs the softmax and
/// log-softmax kernels of ``CUDASoftmaxSource`` over the rows (so every edge case is theirs),
/// then picks each row's loss:
///
/// ```c
/// TH_KERNEL void name_pick(int64_t n, int64_t k, const T* logSoftmax, const int64_t* columns, T* loss)
/// TH_KERNEL void name(int64_t n, int64_t k, const T* g, const T* softmax, const int64_t* columns, T* dx)
/// ```
///
/// `columns` holds each row's label as a column (negative labels already counted from the
/// end, every one checked on the host). The gradient is `dx[i, j] = (softmax[i, j] - [j ==
/// y_i]) * g[i]`, computed in the element type in the reference's order. Both are grid-stride
/// loops.
public enum CUDACrossEntropySource {
    public static func pick(name: String, dtype: DType) throws -> String {
        let t = try floatType(dtype)
        return """
        TH_KERNEL void \(name)(int64_t n, int64_t k, const \(t)* __restrict__ logSoftmax, const int64_t* __restrict__ columns, \(t)* __restrict__ loss) {
            for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
                loss[i] = -logSoftmax[i * k + columns[i]];
            }
        }

        """
    }

    public static func gradient(name: String, dtype: DType) throws -> String {
        let t = try floatType(dtype)
        return """
        TH_KERNEL void \(name)(int64_t n, int64_t k, const \(t)* __restrict__ g, const \(t)* __restrict__ softmax,
                               const int64_t* __restrict__ columns, \(t)* __restrict__ dx) {
            const int64_t total = n * k;
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                const int64_t i = e / k, j = e - i * k;
                \(t) v = softmax[e];
                if (j == columns[i]) v -= (\(t))1;
                dx[e] = v * g[i];
            }
        }

        """
    }

    private static func floatType(_ dtype: DType) throws -> String {
        guard dtype == .float32 || dtype == .float64 else {
            throw TheanoError.typeMismatch("CUDA cross-entropy: needs float32 or float64, got \(dtype)")
        }
        return ScalarCodegen.cType(dtype)
    }
}
