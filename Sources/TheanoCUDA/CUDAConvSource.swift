import TheanoArray
import TheanoCompile

/// CUDA C for convolutions as im2col + cuBLAS (the fallback of the CUDA backend's
/// convolutions): the column matrix of a batch and its inverse, from the geometry's
/// `inputIndexTable()` (kernel position x output position -> input position, or -1 in the
/// padding, with `filterFlip` already applied) and its inverse, built on the host:
///
/// ```c
/// TH_KERNEL void im2col(int64_t planes, int64_t inSpatial, int64_t kernelSpatial, int64_t outSpatial,
///                       const int32_t* table, const T* x, T* col)
/// TH_KERNEL void col2im(int64_t planes, int64_t inSpatial, int64_t columns,
///                       const int32_t* entries, const int32_t* entryStart, const T* col, T* out)
/// ```
///
/// `planes` is batch x channels. `col` holds, per plane, `kernelSpatial` rows of `outSpatial`
/// values (zeros where the kernel reads padding), so a group's rows are contiguous and one
/// strided batched GEMM per group multiplies them by the filters. `col2im` has a thread per
/// input element, which adds (in double, in table order) the column entries that read it:
/// `entries[entryStart[i] ..< entryStart[i + 1]]` are the `kernel position * outSpatial +
/// output position` of input position `i`. No atomics, so the result does not depend on the
/// schedule. ``epilogue(name:dtype:relu:)`` adds ``ConvBiasReLU``'s bias and rectifier.
public enum CUDAConvSource {
    /// The dtypes the convolution kernels take (those cuBLAS multiplies).
    public static func supports(_ dtype: DType) -> Bool { dtype == .float32 || dtype == .float64 }

    public static func im2col(name: String, dtype: DType) throws -> String {
        let t = try elementType(dtype)
        return """
        TH_KERNEL void \(name)(int64_t planes, int64_t inSpatial, int64_t kernelSpatial, int64_t outSpatial, const int32_t* __restrict__ table, const \(t)* __restrict__ x, \(t)* __restrict__ col) {
            const int64_t columns = kernelSpatial * outSpatial, total = planes * columns;
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                const int64_t plane = e / columns, t = e - plane * columns;
                const int32_t i = table[t];
                col[e] = i < 0 ? (\(t))0 : x[plane * inSpatial + i];
            }
        }

        """
    }

    public static func col2im(name: String, dtype: DType) throws -> String {
        let t = try elementType(dtype)
        return """
        TH_KERNEL void \(name)(int64_t planes, int64_t inSpatial, int64_t columns, const int32_t* __restrict__ entries, const int32_t* __restrict__ entryStart, const \(t)* __restrict__ col, \(t)* __restrict__ out) {
            const int64_t total = planes * inSpatial;
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                const int64_t plane = e / inSpatial;
                const int32_t i = (int32_t)(e - plane * inSpatial);
                const \(t)* src = col + plane * columns;
                double acc = 0.0;
                for (int32_t k = entryStart[i]; k < entryStart[i + 1]; k++) acc += (double)src[entries[k]];
                out[e] = (\(t))acc;
            }
        }

        """
    }

    /// The epilogue of ``ConvBiasReLU`` over a convolution's output `y` (`planes` of `spatial`
    /// values, channel `c` = plane mod `channels`): `y + bias[c * biasStride]` when `bias` is
    /// not null (a stride of 0 reads one value), then the rectifier when `relu` (NaN kept, as
    /// the reference's), in place.
    public static func epilogue(name: String, dtype: DType, relu: Bool) throws -> String {
        let t = try elementType(dtype)
        let rectify = relu ? "v = (v > (\(t))0 || v != v) ? v : (\(t))0;" : ""
        return """
        TH_KERNEL void \(name)(int64_t total, int64_t channels, int64_t spatial, int64_t biasStride, const \(t)* __restrict__ bias, \(t)* __restrict__ y) {
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                \(t) v = y[e];
                if (bias != 0) v = v + bias[((e / spatial) % channels) * biasStride];
                \(rectify)
                y[e] = v;
            }
        }

        """
    }

    private static func elementType(_ dtype: DType) throws -> String {
        guard supports(dtype) else { throw TheanoError.typeMismatch("CUDA convolution: expected float32 or float64, got \(dtype)") }
        return ScalarCodegen.cType(dtype)
    }
}
