import TheanoArray
import TheanoGraph
import TheanoTensor

// The CPU backend's convolution kernels: oneDNN for float32 where this process allows it
// (ConvDNNL.swift), else im2col + GEMM (OpenBLAS) for the convolution and both of its
// gradients, float32 and float64. Each resolves the geometry with the op's own
// checks (the same errors as `perform`), then per image and channel group:
// - forward: `col[c * K + k, p] = x[c, input position of (k, p)]` (0 in the padding), and
//   `y[group] = W[group] @ col`;
// - input gradient: `col = W[group]ᵀ @ gy[group]`, scattered back (col2im) and summed;
// - filter gradient: `gw[group] += gy[group] @ colᵀ`.
// Outputs are allocated from the kernel context's recycled buffers.

/// What the report calls these kernels.
let im2colGEMM = "im2col+OpenBLAS"

private func isConvType(_ dtype: DType) -> Bool { dtype == .float32 || dtype == .float64 }

/// What the report calls the kernel of a convolution node of `dtype`: oneDNN for float32 when
/// this process sends convolutions there (a geometry oneDNN cannot take still runs im2col).
private func convImplementation(_ dtype: DType) -> String {
    dtype == .float32 && convolutionsUseOneDNN ? "\(oneDNNConvolution) (im2col+OpenBLAS for other shapes)" : im2colGEMM
}

extension Conv: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let dtype = node.outputTypes[0].dtype
        return isConvType(dtype) ? .kernel(ConvForwardKernel(op: self), implementation: convImplementation(dtype)) : nil
    }
}

extension ConvGradInputs: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let dtype = node.outputTypes[0].dtype
        return isConvType(dtype) ? .kernel(ConvGradInputsKernel(op: self), implementation: convImplementation(dtype)) : nil
    }
}

extension ConvGradWeights: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let dtype = node.outputTypes[0].dtype
        return isConvType(dtype) ? .kernel(ConvGradWeightsKernel(op: self), implementation: convImplementation(dtype)) : nil
    }
}

struct ConvForwardKernel: Kernel {
    let op: Conv

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let g = try op.parameters.geometry(input: inputs[0].shape, filters: inputs[1].shape, op: op.parameters.name)
        let dtype = node.outputTypes[0].dtype
        let out = try context.buffers.allocate(g.outputShape, dtype)
        if let d = dnnlGeometry(g, dtype) {
            let w = try dnnlFilters(inputs[1], flip: g.filterFlip, kernelSpatial: g.kernelSpatial, context)
            return [try DNNLConvolution.forward(d, input: inputs[0].astype(dtype), weights: w, into: out)]
        }
        let plan = try ConvPlan(g)
        let x = inputs[0].astype(dtype).contiguous(), w = inputs[1].astype(dtype).contiguous()
        if out.count == 0 { return [out] }
        guard plan.reduction > 0 else { return [try zeroFilled(out)] }
        let col = try context.buffers.allocate([plan.reduction, plan.outS], dtype)
        let wMat = try w.reshaped([g.outChannels, plan.reduction])
        let yMat = try out.reshaped([g.batch * g.outChannels, plan.outS])
        for b in 0..<g.batch {
            for grp in 0..<g.groups {
                try plan.im2col(x, image: b, group: grp, into: col)
                let wG = try rows(wMat, grp * plan.og, plan.og)
                let yG = try rows(yMat, b * g.outChannels + grp * plan.og, plan.og)
                _ = try NDArray.gemm(alpha: 1, wG, col, into: yG)
            }
        }
        return [out]
    }
}

struct ConvGradInputsKernel: Kernel {
    let op: ConvGradInputs

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let g = try op.geometry(inputs)
        let dtype = node.outputTypes[0].dtype
        if let d = dnnlGeometry(g, dtype) {
            let w = try dnnlFilters(inputs[1], flip: g.filterFlip, kernelSpatial: g.kernelSpatial, context)
            let out = try context.buffers.allocate(g.inputShape, dtype)
            return [try DNNLConvolution.backwardData(d, outputGradient: inputs[0].astype(dtype), weights: w, into: out)]
        }
        let out = try zeroFilled(try context.buffers.allocate(g.inputShape, dtype))
        let plan = try ConvPlan(g)
        guard out.count > 0, plan.reduction > 0, plan.outS > 0, plan.og > 0 else { return [out] }
        let gy = inputs[0].astype(dtype).contiguous(), w = inputs[1].astype(dtype).contiguous()
        let col = try context.buffers.allocate([plan.reduction, plan.outS], dtype)
        let wMat = try w.reshaped([g.outChannels, plan.reduction])
        let gyMat = try gy.reshaped([g.batch * g.outChannels, plan.outS])
        for b in 0..<g.batch {
            for grp in 0..<g.groups {
                let wG = try rows(wMat, grp * plan.og, plan.og)
                let gyG = try rows(gyMat, b * g.outChannels + grp * plan.og, plan.og)
                _ = try NDArray.gemm(alpha: 1, wG.transposed(), gyG, into: col)
                plan.col2im(col, image: b, group: grp, adding: out)
            }
        }
        return [out]
    }
}

struct ConvGradWeightsKernel: Kernel {
    let op: ConvGradWeights

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let g = try op.geometry(inputs)
        let dtype = node.outputTypes[0].dtype
        if let d = dnnlGeometry(g, dtype) {
            let out = try context.buffers.allocate(g.filterShape, dtype)
            _ = try DNNLConvolution.backwardWeights(d, input: inputs[0].astype(dtype), outputGradient: inputs[1].astype(dtype), into: out,
                                                    layout: .preferredForBackwardWeights(d))
            if g.filterFlip { flipFiltersInPlace(out, kernelSpatial: g.kernelSpatial) }
            return [out]
        }
        let out = try zeroFilled(try context.buffers.allocate(g.filterShape, dtype))
        let plan = try ConvPlan(g)
        guard out.count > 0, plan.outS > 0, g.batch > 0 else { return [out] }
        let x = inputs[0].astype(dtype).contiguous(), gy = inputs[1].astype(dtype).contiguous()
        let col = try context.buffers.allocate([plan.reduction, plan.outS], dtype)
        let gwMat = try out.reshaped([g.outChannels, plan.reduction])
        let gyMat = try gy.reshaped([g.batch * g.outChannels, plan.outS])
        for b in 0..<g.batch {
            for grp in 0..<g.groups {
                try plan.im2col(x, image: b, group: grp, into: col)
                let gyG = try rows(gyMat, b * g.outChannels + grp * plan.og, plan.og)
                let gwG = try rows(gwMat, grp * plan.og, plan.og)
                _ = try NDArray.gemm(alpha: 1, gyG, col.transposed(), beta: 1, updating: gwG)
            }
        }
        return [out]
    }
}

/// Rows `start ..< start + count` of a matrix (a view).
private func rows(_ m: NDArray, _ start: Int, _ count: Int) throws -> NDArray {
    try m.slice([.slice(start: start, stop: start + count, step: nil), .all])
}

/// `a` (a fresh C-contiguous buffer) with every element set to 0.
private func zeroFilled(_ a: NDArray) throws -> NDArray {
    switch a.dtype {
    case .float32: (a.storagePointer(as: Float.self) + a.offset).update(repeating: 0, count: a.count)
    case .float64: (a.storagePointer(as: Double.self) + a.offset).update(repeating: 0, count: a.count)
    default: throw TheanoError.typeMismatch("conv: the CPU kernel computes float32 or float64, got \(a.dtype)")
    }
    return a
}

/// The im2col index table of one geometry and the loops that use it.
private struct ConvPlan {
    let g: ConvGeometry
    let table: [Int32]
    let cg, og, kS, outS, inS: Int
    /// Rows of the column matrix: input channels per group times kernel positions.
    var reduction: Int { cg * kS }

    init(_ g: ConvGeometry) throws {
        self.g = g
        table = try g.inputIndexTable()
        cg = g.inChannels / g.groups
        og = g.outChannels / g.groups
        (kS, outS, inS) = (g.kernelSpatial, g.outputSpatial, g.inputSpatial)
    }

    /// Fills `col` (`[reduction, outS]`, contiguous) from image `b`, channel group `grp` of `x`.
    func im2col(_ x: NDArray, image b: Int, group grp: Int, into col: NDArray) throws {
        switch x.dtype {
        case .float32: fill(x, b, grp, col, Float.self)
        case .float64: fill(x, b, grp, col, Double.self)
        default: throw TheanoError.typeMismatch("conv: the CPU kernel computes float32 or float64, got \(x.dtype)")
        }
    }

    private func fill<T: NDArrayElement & BinaryFloatingPoint>(_ x: NDArray, _ b: Int, _ grp: Int, _ col: NDArray, _: T.Type) {
        let xp = x.storagePointer(as: T.self) + x.offset, cp = col.storagePointer(as: T.self) + col.offset
        table.withUnsafeBufferPointer { t in
            for ic in 0..<cg {
                let src = xp + (b * g.inChannels + grp * cg + ic) * inS
                for k in 0..<kS {
                    let dst = cp + (ic * kS + k) * outS, row = k * outS
                    for o in 0..<outS {
                        let i = Int(t[row + o])
                        dst[o] = i >= 0 ? src[i] : 0
                    }
                }
            }
        }
    }

    /// Adds `col` (`[reduction, outS]`) back into image `b`, group `grp` of `gx` (contiguous).
    func col2im(_ col: NDArray, image b: Int, group grp: Int, adding gx: NDArray) {
        switch gx.dtype {
        case .float32: scatter(col, b, grp, gx, Float.self)
        default: scatter(col, b, grp, gx, Double.self)
        }
    }

    private func scatter<T: NDArrayElement & BinaryFloatingPoint>(_ col: NDArray, _ b: Int, _ grp: Int, _ gx: NDArray, _: T.Type) {
        let gp = gx.storagePointer(as: T.self) + gx.offset, cp = col.storagePointer(as: T.self) + col.offset
        table.withUnsafeBufferPointer { t in
            for ic in 0..<cg {
                let dst = gp + (b * g.inChannels + grp * cg + ic) * inS
                for k in 0..<kS {
                    let src = cp + (ic * kS + k) * outS, row = k * outS
                    for o in 0..<outS {
                        let i = Int(t[row + o])
                        if i >= 0 { dst[i] += src[o] }
                    }
                }
            }
        }
    }
}
