import RealModule

/// Softmax and log-softmax along one axis, computed stably.
extension NDArray {
    /// `exp(x) / sum(exp(x))` along `axis` (negative counts from the end), for float32 and
    /// float64 arrays.
    ///
    /// Each lane is shifted by its maximum first, so large inputs do not overflow:
    /// `softmax([1000, 1000]) == [0.5, 0.5]`. A lane whose maximum is infinite takes the limit
    /// of shifting: its entries equal to the maximum share the mass equally and the others get
    /// 0, so a lane of all `-inf` is uniform (as a mask of very negative numbers would give). A
    /// lane containing NaN gives NaN.
    public func softmax(axis: Int) throws -> NDArray {
        try softmaxLanes(axis: axis, log: false, context: "softmax")
    }

    /// `x - log(sum(exp(x)))` along `axis`, for float32 and float64 arrays: the logarithm of
    /// ``softmax(axis:)``, computed without forming it, so it stays finite where softmax
    /// underflows: `logSoftmax([1000, 0]) == [0, -1000]`. Lanes with an infinite maximum or NaN
    /// follow ``softmax(axis:)`` (a lane of all `-inf` gives `-log(n)` everywhere).
    public func logSoftmax(axis: Int) throws -> NDArray {
        try softmaxLanes(axis: axis, log: true, context: "logSoftmax")
    }

    private func softmaxLanes(axis: Int, log: Bool, context: String) throws -> NDArray {
        let axis = try normalizeAxis(axis, rank: rank, context: "\(context) of an array of shape \(formatShape(shape))")
        // A broadcast view may stand for more elements than the result's memory can hold.
        _ = try checkedAllocation(shape, dtype: dtype, context: context)
        switch dtype {
        case .float32: return softmaxKernel(self, axis: axis, log: log, Float.self)
        case .float64: return softmaxKernel(self, axis: axis, log: log, Double.self)
        default:
            throw TheanoError.typeMismatch(
                "\(context): needs a floating-point array, got dtype \(dtype); convert it with astype(.float64) first")
        }
    }
}

/// Applies (log-)softmax to every lane along `axis` of `x`, writing a new C-contiguous array.
private func softmaxKernel<T: Real & BinaryFloatingPoint & NDArrayElement>(
    _ x: NDArray, axis: Int, log: Bool, _: T.Type
) -> NDArray {
    let out = NDArray(allocating: x.shape, dtype: x.dtype, zeroed: false)
    let n = x.shape[axis]
    if n == 0 || out.count == 0 { return out }
    let px = x.storagePointer(as: T.self)
    let po = out.storagePointer(as: T.self)
    let (sx, so) = (x.strides[axis], out.strides[axis])

    func lane(_ ox: Int, _ oo: Int) {
        var maximum = -T.infinity
        var hasNaN = false
        for i in 0..<n {
            let v = px[ox + i * sx]
            if v.isNaN { hasNaN = true } else if v > maximum { maximum = v }
        }
        if hasNaN {
            for i in 0..<n { po[oo + i * so] = .nan }
        } else if maximum.isInfinite {
            // The limit of shifting by the maximum: the entries equal to it share the mass.
            var ties = 0
            for i in 0..<n where px[ox + i * sx] == maximum { ties += 1 }
            let share = T(1) / T(ties)
            for i in 0..<n {
                let top = px[ox + i * sx] == maximum
                po[oo + i * so] = log ? (top ? -T.log(T(ties)) : -T.infinity) : (top ? share : 0)
            }
        } else {
            var sum = T(0)
            for i in 0..<n { sum += T.exp(px[ox + i * sx] - maximum) }
            if log {
                let logSum = T.log(sum)
                for i in 0..<n { po[oo + i * so] = px[ox + i * sx] - maximum - logSum }
            } else {
                for i in 0..<n { po[oo + i * so] = T.exp(px[ox + i * sx] - maximum) / sum }
            }
        }
    }

    // Walk every lane: the axis itself is left out of the walk (size 1 is dropped).
    var laneShape = x.shape
    laneShape[axis] = 1
    let walk = StridedWalk(shape: laneShape, strides: [x.strides, out.strides], offsets: [x.offset, 0])
    walk.forEachRow { offs, count, inner in
        for i in 0..<count { lane(offs[0] + i * inner[0], offs[1] + i * inner[1]) }
    }
    return out
}
