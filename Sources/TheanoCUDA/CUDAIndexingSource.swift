import TheanoArray
import TheanoCompile

/// CUDA C for indexing along the first axis with one integer array (`x[idx]`, an embedding
/// lookup) and its gradient (`inc_subtensor(zeros[idx], g)`, rows added with atomics):
///
/// ```c
/// TH_KERNEL void name(int64_t rows, int64_t rowSize, const T* x, const int64_t* idx, T* out)
/// TH_KERNEL void name(int64_t rows, int64_t rowSize, const T* y, const int64_t* idx, T* out)
/// ```
///
/// `idx` holds checked, non-negative row numbers. The gather copies element `e` of the output
/// from row `idx[e / rowSize]` of `x` (elements moved as unsigned integers of their width, so
/// one kernel serves every dtype of a size); the scatter adds `y[e]` into that row of `out`
/// (which already holds `x`) atomically, so repeated indices add every value, as NumPy's
/// `np.add.at` does. Both are grid-stride loops.
public enum CUDAIndexingSource {
    public static func gather(name: String, byteWidth: Int) throws -> String {
        let types = [1: "uint8_t", 2: "uint16_t", 4: "uint32_t", 8: "uint64_t"]
        guard let t = types[byteWidth] else {
            throw TheanoError.invalidArgument("CUDA gather: no kernel for elements of \(byteWidth) bytes")
        }
        return """
        TH_KERNEL void \(name)(int64_t rows, int64_t rowSize, const \(t)* __restrict__ x, const int64_t* __restrict__ idx, \(t)* __restrict__ out) {
            const int64_t total = rows * rowSize;
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                const int64_t r = e / rowSize, c = e - r * rowSize;
                out[e] = x[idx[r] * rowSize + c];
            }
        }

        """
    }

    /// The dtypes the scatter adds atomically.
    public static func scatterAddSupports(_ dtype: DType) -> Bool {
        [.float32, .float64, .int32, .int64].contains(dtype)
    }

    public static func scatterAdd(name: String, dtype: DType) throws -> String {
        let suffixes: [DType: String] = [.float32: "f32", .float64: "f64", .int32: "i32", .int64: "i64"]
        guard let suffix = suffixes[dtype] else {
            throw TheanoError.typeMismatch("CUDA scatter-add: no atomic add for \(dtype)")
        }
        let t = ScalarCodegen.cType(dtype)
        return """
        TH_KERNEL void \(name)(int64_t rows, int64_t rowSize, const \(t)* __restrict__ y, const int64_t* __restrict__ idx, \(t)* __restrict__ out) {
            const int64_t total = rows * rowSize;
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                const int64_t r = e / rowSize, c = e - r * rowSize;
                th_atomic_add_\(suffix)(&out[idx[r] * rowSize + c], y[e]);
            }
        }

        """
    }
}
