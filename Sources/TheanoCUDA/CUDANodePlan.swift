import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

/// What the CUDA backend generates for one node: CUDA C compiled with every other node's in
/// one translation unit, the kernels it loads from the module, and how it makes the node's
/// kernel from them.
struct CUDANodePlan {
    /// The node's kernels' source.
    var sources: [String]
    /// The `__global__` functions to load.
    var entryPoints: [String]
    /// Declarations the sources need once per unit (the Philox generator).
    var shared: String? = nil
    /// The node's kernel, given the loaded functions (nil when one is missing).
    let kernel: ([String: CUDAKernel]) -> KernelChoice?

    /// One source with one entry point named `name`, run by `make`.
    private static func single(_ source: String, _ name: String, shared: String? = nil, implementation: String,
                               _ make: @escaping (CUDAKernel) -> any Kernel) -> CUDANodePlan {
        CUDANodePlan(sources: [source], entryPoints: [name], shared: shared) { loaded in
            loaded[name].map { .kernel(make($0), implementation: implementation) }
        }
    }

    /// The plan for `node` (its kernels named from `name`), or nil when no generated kernel
    /// runs it (a library kernel or the host may).
    static func make(for node: Apply, name: String, device: any CUDADevice) -> CUDANodePlan? {
        let dtype = node.outputTypes.first?.dtype
        if let program = CUDABackend.elementwiseProgram(node), let source = try? CUDAKernelSource.elementwise(program, name: name) {
            let reportsErrors = CUDAKernelSource.canReportError(program)
            return single(source, name, implementation: "CUDA kernel") {
                CUDAElementwiseKernel(device: device, kernel: $0, reportsErrors: reportsErrors)
            }
        }
        if let (log, dtype) = CUDABackend.softmax(node), let source = try? CUDASoftmaxSource.kernel(name: name, dtype: dtype, log: log) {
            return single(source, name, implementation: "CUDA softmax") { CUDASoftmaxKernel(device: device, kernel: $0) }
        }
        if let (program, reduction) = CUDABackend.reduction(node),
           let source = try? CUDAReductionSource.reduction(program, kind: reduction.kind, name: name) {
            let (partial, finish) = (name + "_partial", name + "_finish")
            return CUDANodePlan(sources: [source], entryPoints: [partial, finish]) { loaded in
                guard let p = loaded[partial], let f = loaded[finish] else { return nil }
                return .kernel(CUDAReduceKernel(device: device, partial: p, finish: f, program: program, reduction: reduction),
                               implementation: "CUDA reduction")
            }
        }
        if let dtype = CUDABackend.crossEntropy(node) {
            if node.op is CrossEntropySoftmax1HotGrad {
                guard let source = try? CUDACrossEntropySource.gradient(name: name, dtype: dtype) else { return nil }
                return single(source, name, implementation: "CUDA cross-entropy") { CUDACrossEntropyGradKernel(device: device, kernel: $0) }
            }
            let (softmax, log, pick) = (name + "_softmax", name + "_log", name + "_pick")
            guard let sources = try? [CUDASoftmaxSource.kernel(name: softmax, dtype: dtype, log: false),
                                      CUDASoftmaxSource.kernel(name: log, dtype: dtype, log: true),
                                      CUDACrossEntropySource.pick(name: pick, dtype: dtype)] else { return nil }
            return CUDANodePlan(sources: sources, entryPoints: [softmax, log, pick]) { loaded in
                guard let s = loaded[softmax], let l = loaded[log], let p = loaded[pick] else { return nil }
                return .kernel(CUDACrossEntropyKernel(device: device, softmax: s, logSoftmax: l, pick: p), implementation: "CUDA cross-entropy")
            }
        }
        if let op = node.op as? AdvancedSubtensor, isRowIndex(op.entries), let dtype,
           let source = try? CUDAIndexingSource.gather(name: name, byteWidth: dtype.byteSize) {
            return single(source, name, implementation: "CUDA gather") { CUDAGatherKernel(device: device, kernel: $0) }
        }
        if let op = node.op as? AdvancedSubtensor, let dtype, let source = try? CUDAIndexingSource.gather(name: name, byteWidth: dtype.byteSize) {
            return single(source, name, implementation: "CUDA gather") { CUDASelectionGatherKernel(device: device, kernel: $0, op: op) }
        }
        if let op = node.op as? IncSubtensor, op.mode == .increment, isRowIndex(op.entries), let dtype,
           CUDAIndexingSource.scatterAddSupports(dtype), let source = try? CUDAIndexingSource.scatterAdd(name: name, dtype: dtype) {
            return single(source, name, implementation: "CUDA scatter-add") { CUDAScatterAddKernel(device: device, kernel: $0) }
        }
        if let op = node.op as? RandomVariable, CUDARandomSource.supports(op.distribution, op.dtype),
           let source = try? CUDARandomSource.kernel(name: name, distribution: op.distribution, dtype: op.dtype) {
            return single(source, name, shared: CUDARandomSource.helpers, implementation: "CUDA Philox") {
                CUDARandomKernel(device: device, kernel: $0, op: op)
            }
        }
        if let plan = poolingPlan(node, name: name, device: device) { return plan }
        if let plan = convolutionPlan(node, name: name, device: device) { return plan }
        if node.op is Alloc, let dtype, let source = try? CUDAKernelSource.elementwise(CUDAAllocKernel.program(dtype), name: name) {
            return single(source, name, implementation: "CUDA kernel") { CUDAAllocKernel(device: device, kernel: $0) }
        }
        return nil
    }

    /// `Pool` (every mode), `MaxPoolGrad`, `AveragePoolGrad` and `MaxPoolGather` of float32 or
    /// float64.
    private static func poolingPlan(_ node: Apply, name: String, device: any CUDADevice) -> CUDANodePlan? {
        guard let dtype = node.outputTypes.first?.dtype, CUDAPoolSource.supports(dtype) else { return nil }
        let parameters: PoolParameters, role: CUDAPoolKernel.Role, source: String?
        if let op = node.op as? Pool {
            (parameters, role) = (op.parameters, .forward)
            source = try? CUDAPoolSource.forward(name: name, dtype: dtype, max: op.parameters.mode == .max)
        } else if let op = node.op as? MaxPoolGrad {
            (parameters, role, source) = (op.parameters, .gradient, try? CUDAPoolSource.gradient(name: name, dtype: dtype, max: true))
        } else if let op = node.op as? AveragePoolGrad {
            (parameters, role, source) = (op.parameters, .gradient, try? CUDAPoolSource.gradient(name: name, dtype: dtype, max: false))
        } else if let op = node.op as? MaxPoolGather {
            (parameters, role, source) = (op.parameters, .gather, try? CUDAPoolSource.gather(name: name, dtype: dtype))
        } else {
            return nil
        }
        guard let source else { return nil }
        let library = role == .forward ? device.dnnLibrary : nil
        return single(source, name, implementation: library.map { "\($0), else CUDA pooling" } ?? "CUDA pooling") {
            CUDAPoolKernel(device: device, kernel: $0, parameters: parameters, role: role)
        }
    }

    /// `Conv` (and `ConvBiasReLU`, with an epilogue kernel), `ConvGradInputs` and
    /// `ConvGradWeights` of float32 or float64, through the device's cuDNN where it has it and
    /// the geometry allows, else as im2col + cuBLAS.
    private static func convolutionPlan(_ node: Apply, name: String, device: any CUDADevice) -> CUDANodePlan? {
        guard let dtype = node.outputTypes.first?.dtype, CUDAConvSource.supports(dtype) else { return nil }
        let role: CUDAConvKernel.Role, geometry: @Sendable ([NDArray]) throws -> ConvGeometry
        var epilogue: (relu: Bool, hasBias: Bool)? = nil
        if let op = node.op as? ConvBiasReLU {
            role = .forward
            geometry = { try op.parameters.geometry(input: $0[0].shape, filters: $0[1].shape, op: op.description) }
            epilogue = (op.relu, op.hasBias)
        } else if let op = node.op as? Conv {
            role = .forward
            geometry = { try op.parameters.geometry(input: $0[0].shape, filters: $0[1].shape, op: op.parameters.name) }
        } else if let op = node.op as? ConvGradInputs {
            (role, geometry) = (.gradInputs, { try op.geometry($0) })
        } else if let op = node.op as? ConvGradWeights {
            (role, geometry) = (.gradWeights, { try op.geometry($0) })
        } else {
            return nil
        }
        let (im2col, col2im, finish) = (name + "_im2col", name + "_col2im", name + "_epilogue")
        guard var sources = try? [CUDAConvSource.im2col(name: im2col, dtype: dtype), CUDAConvSource.col2im(name: col2im, dtype: dtype)] else { return nil }
        if let epilogue {
            guard let source = try? CUDAConvSource.epilogue(name: finish, dtype: dtype, relu: epilogue.relu) else { return nil }
            sources.append(source)
        }
        return CUDANodePlan(sources: sources, entryPoints: [im2col, col2im] + (epilogue == nil ? [] : [finish])) { loaded in
            guard let i = loaded[im2col], let c = loaded[col2im] else { return nil }
            var finishing: (kernel: CUDAKernel, hasBias: Bool)? = nil
            if let epilogue {
                guard let e = loaded[finish] else { return nil }
                finishing = (e, epilogue.hasBias)
            }
            return .kernel(CUDAConvKernel(device: device, im2col: i, col2im: c, role: role, epilogue: finishing, geometry: geometry),
                           implementation: device.dnnLibrary.map { "\($0), else im2col + cuBLAS" } ?? "im2col + cuBLAS")
        }
    }
}
