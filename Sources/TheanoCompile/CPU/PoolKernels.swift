import TheanoArray
import TheanoGraph
import TheanoTensor

// The CPU backend's pooling kernels: Swift loops on raw pointers over the windows that
// `PoolGeometry` resolves (the op's own checks, so the same errors as `perform`), float32 and
// float64, accumulating in the element type. Max pooling and its gradient share the tie rule
// of the reference: the first maximum in row-major window order wins (a NaN beats numbers).

/// What the report calls these kernels.
let swiftLoops = "Swift loops"

private func isPoolType(_ dtype: DType) -> Bool { dtype == .float32 || dtype == .float64 }

extension Pool: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isPoolType(node.outputTypes[0].dtype) ? .kernel(PoolForwardKernel(op: self), implementation: swiftLoops) : nil
    }
}

extension MaxPoolGrad: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isPoolType(node.outputTypes[0].dtype) ? .kernel(PoolBackwardKernel(parameters: parameters, max: true), implementation: swiftLoops) : nil
    }
}

extension AveragePoolGrad: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isPoolType(node.outputTypes[0].dtype) ? .kernel(PoolBackwardKernel(parameters: parameters, max: false), implementation: swiftLoops) : nil
    }
}

struct PoolForwardKernel: Kernel {
    let op: Pool

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let p = op.parameters
        let g = try p.geometry(inputs[0].shape, op: p.name)
        let dtype = node.outputTypes[0].dtype
        let x = inputs[0].astype(dtype).contiguous()
        let out = try context.buffers.allocate(g.outputShape, dtype)
        switch dtype {
        case .float32: forward(g, p.mode, x, out, Float.self)
        default: forward(g, p.mode, x, out, Double.self)
        }
        return [out]
    }

    private func forward<T: NDArrayElement & BinaryFloatingPoint>(_ g: PoolGeometry, _ mode: PoolMode, _ x: NDArray, _ out: NDArray, _: T.Type) {
        let xp = x.storagePointer(as: T.self) + x.offset, yp = out.storagePointer(as: T.self) + out.offset
        for b in 0..<g.batch {
            let src = xp + b * g.inputSpatial, dst = yp + b * g.outputSpatial
            for o in 0..<g.outputSpatial {
                let cells = g.cells[o]
                if mode == .max {
                    dst[o] = src[firstMaximum(src, cells)]
                } else {
                    var total: T = 0
                    for c in cells { total += src[c] }
                    dst[o] = total / T(g.divisors[o])
                }
            }
        }
    }
}

/// ``MaxPoolGrad`` (`max`) or ``AveragePoolGrad``: inputs `x` and the output gradient.
struct PoolBackwardKernel: Kernel {
    let parameters: PoolParameters
    let max: Bool

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let p = parameters, op = p.name + (max ? "MaxGrad" : "AverageGrad")
        let g = try p.geometry(inputs[0].shape, op: op)
        guard inputs[1].shape == g.outputShape else {
            throw TheanoError.shapeMismatch("\(op): expected a second operand of shape \(formatShape(g.outputShape)) for an input of shape \(formatShape(inputs[0].shape)), got \(formatShape(inputs[1].shape))")
        }
        let dtype = node.outputTypes[0].dtype
        let x = inputs[0].astype(dtype).contiguous(), gy = inputs[1].astype(dtype).contiguous()
        let out = try context.buffers.allocate(g.inputShape, dtype)
        switch dtype {
        case .float32: backward(g, x, gy, out, Float.self)
        default: backward(g, x, gy, out, Double.self)
        }
        return [out]
    }

    private func backward<T: NDArrayElement & BinaryFloatingPoint>(_ g: PoolGeometry, _ x: NDArray, _ gy: NDArray, _ out: NDArray, _: T.Type) {
        let xp = x.storagePointer(as: T.self) + x.offset, gp = gy.storagePointer(as: T.self) + gy.offset
        let dp = out.storagePointer(as: T.self) + out.offset
        dp.update(repeating: 0, count: out.count)
        for b in 0..<g.batch {
            let src = xp + b * g.inputSpatial, dst = dp + b * g.inputSpatial, grad = gp + b * g.outputSpatial
            for o in 0..<g.outputSpatial {
                let cells = g.cells[o]
                if max {
                    dst[firstMaximum(src, cells)] += grad[o]
                } else {
                    let share = grad[o] / T(g.divisors[o])
                    for c in cells { dst[c] += share }
                }
            }
        }
    }
}

/// The first maximum of `cells` in `p` (a NaN beats numbers; the first NaN wins).
@inline(__always)
private func firstMaximum<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<T>, _ cells: [Int]) -> Int {
    var best = cells[0], value = p[best]
    for c in cells.dropFirst() {
        let v = p[c]
        if v > value || (v.isNaN && !value.isNaN) { best = c; value = v }
    }
    return best
}
