import TheanoArray
import TheanoCompile

/// CUDA C for pooling (``Pool`` in every mode, ``MaxPoolGrad``, ``AveragePoolGrad``,
/// ``MaxPoolGather``) over the
/// windows of a `PoolGeometry`, any of 1-3 spatial axes with strides, padding and partial
/// windows, read from tables the host builds once per shape (``CUDAPoolTables``):
///
/// ```c
/// TH_KERNEL void name(int64_t planes, int64_t inSpatial, int64_t outSpatial,
///                     const int32_t* cells, const int32_t* start, const int32_t* windows,
///                     const int32_t* windowStart, const double* divisors,
///                     const T* x, const T* gy, T* out)
/// ```
///
/// Window `o` reads the plane's cells `cells[start[o] ..< start[o + 1]]`; input cell `i` lies in
/// the windows `windows[windowStart[i] ..< windowStart[i + 1]]`, in increasing order. The
/// forward kernel has a thread per output element: the window's first maximum (a NaN beats
/// numbers, the first NaN wins) or its sum in double divided by the divisor. The gradient has
/// a thread per input element, which adds, in double and in window order, the output gradient
/// of every window whose winner it is (max) or that window's share (average): the reference's
/// arithmetic in the reference's order, so the results are the reference's bit for bit, with
/// no atomics even where windows overlap. `gy` is unused by the forward kernel.
public enum CUDAPoolSource {
    /// The dtypes pooling kernels take (those of the ops).
    public static func supports(_ dtype: DType) -> Bool { dtype == .float32 || dtype == .float64 }

    private static let parameters = """
    int64_t planes, int64_t inSpatial, int64_t outSpatial, const int32_t* __restrict__ cells, \
    const int32_t* __restrict__ start, const int32_t* __restrict__ windows, const int32_t* __restrict__ windowStart, \
    const double* __restrict__ divisors
    """

    /// The forward kernel: the maximum when `max`, else the sum over the divisor.
    public static func forward(name: String, dtype: DType, max: Bool) throws -> String {
        let t = try elementType(dtype)
        let body = max ? winner(t, window: "o") + """

                out[e] = value;
        """ : """
                double acc = 0.0;
                for (int32_t k = start[o]; k < start[o + 1]; k++) acc += (double)src[cells[k]];
                out[e] = (\(t))(acc / divisors[o]);
        """
        return perOutput(name: name, t, body)
    }

    /// ``MaxPoolGather``: per output element, the value of `gy` (shaped like `x`) at the
    /// window's winner in `x` (the forward kernel's tie and NaN rule).
    public static func gather(name: String, dtype: DType) throws -> String {
        let t = try elementType(dtype)
        return perOutput(name: name, t, winner(t, window: "o") + """

                out[e] = gy[b * inSpatial + best];
        """)
    }

    /// The gradient kernel of max pooling (`max`) or average pooling.
    public static func gradient(name: String, dtype: DType, max: Bool) throws -> String {
        let t = try elementType(dtype)
        let term = max ? winner(t, window: "o") + """

                if (best == i) acc += (double)g[o];
        """ : """
                acc += (double)g[o] / divisors[o];
        """
        return """
        TH_KERNEL void \(name)(\(parameters), const \(t)* __restrict__ x, const \(t)* __restrict__ gy, \(t)* __restrict__ out) {
            const int64_t total = planes * inSpatial;
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                const int64_t b = e / inSpatial;
                const int32_t i = (int32_t)(e - b * inSpatial);
                const \(t)* src = x + b * inSpatial;
                const \(t)* g = gy + b * outSpatial;
                double acc = 0.0;
                for (int32_t k = windowStart[i]; k < windowStart[i + 1]; k++) {
                    const int32_t o = windows[k];
        \(term)
                }
                out[e] = (\(t))acc;
            }
        }

        """
    }

    /// A kernel with a thread per output element `e` (plane `b`, window `o`, the plane's
    /// input at `src`) running `body`.
    private static func perOutput(name: String, _ t: String, _ body: String) -> String {
        """
        TH_KERNEL void \(name)(\(parameters), const \(t)* __restrict__ x, const \(t)* __restrict__ gy, \(t)* __restrict__ out) {
            const int64_t total = planes * outSpatial;
            for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
                const int64_t b = e / outSpatial, o = e - b * outSpatial;
                const \(t)* src = x + b * inSpatial;
        \(body)
            }
        }

        """
    }

    /// Statements leaving window `window`'s first maximum in `src` in `best` (its cell) and
    /// `value`: the reference's rule, a NaN beats numbers and ties go to the first cell.
    private static func winner(_ t: String, window: String) -> String {
        """
                int32_t best = cells[start[\(window)]];
                \(t) value = src[best];
                for (int32_t j = start[\(window)] + 1; j < start[\(window) + 1]; j++) {
                    const int32_t c = cells[j];
                    const \(t) v = src[c];
                    if (v > value || (v != v && value == value)) { best = c; value = v; }
                }
        """
    }

    private static func elementType(_ dtype: DType) throws -> String {
        guard supports(dtype) else { throw TheanoError.typeMismatch("CUDA pooling: expected float32 or float64, got \(dtype)") }
        return ScalarCodegen.cType(dtype)
    }
}
