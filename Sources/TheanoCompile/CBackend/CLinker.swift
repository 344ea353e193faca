import Foundation
import TheanoArray
import TheanoGraph
import TheanoTensor

/// The C linker: generates one translation unit with a kernel for every node it can compile
/// (identical kernels shared), compiles it through the ``KernelCache`` and loads it.
struct CLinker {
    let compiler: CCompiler
    let cache: KernelCache

    struct Result {
        /// One entry per node (nil: the node runs its reference `perform`).
        let kernels: [CompiledKernel?]
        let library: SharedLibrary?
        let source: String
        /// Whether the compiler ran (false: loaded from the cache).
        let compiled: Bool
        let codegenSeconds: Double
        let compileSeconds: Double
    }

    func link(_ nodes: [Apply]) throws -> Result {
        let start = Date()
        struct Key: Hashable {
            let program: KernelProgram
            let scalar: [Bool]
            let lastAxis: [Bool]
        }
        var names: [Key: String] = [:]
        var bodies: [String: String] = [:]
        var plan: [(name: String, program: KernelProgram, broadcast: [[Bool]], outputs: [DType])?] = []
        for node in nodes {
            guard let op = node.op as? any CKernelOp, let program = op.kernelProgram(node) else {
                plan.append(nil)
                continue
            }
            let types = node.inputs.map(\.type)
            let broadcast = types.map { t in t.shape.map { $0 == 1 } }
            let key = Key(program: program, scalar: types.map { t in t.shape.allSatisfy { $0 == 1 } },
                          lastAxis: types.map { t in t.shape.last.map { $0 == 1 } ?? true })
            let name: String
            if let existing = names[key] {
                name = existing
            } else {
                // Kernels are named by a hash of their own text, so the translation unit depends
                // only on which kernels it holds, never on node order (stable cache keys).
                var source = KernelSource(name: "TH_KERNEL", program: program.program, inputIsScalar: key.scalar,
                                          inputBroadcastsLastAxis: key.lastAxis, reduction: program.reduction?.kind)
                source.aliased = program.inPlaceInput != nil
                guard let template = try? source.render() else {
                    plan.append(nil)
                    continue
                }
                name = "th_" + KernelCache.hash(template)
                names[key] = name
                if bodies[name] == nil { bodies[name] = template.replacingOccurrences(of: "TH_KERNEL", with: name) }
            }
            plan.append((name, program, broadcast, node.outputTypes.map(\.dtype)))
        }
        let source = CPreamble.text + "\n" + bodies.keys.sorted().compactMap { bodies[$0] }.joined(separator: "\n")
        let codegen = Date().timeIntervalSince(start)
        guard !bodies.isEmpty else {
            return Result(kernels: plan.map { _ in nil }, library: nil, source: source, compiled: false, codegenSeconds: codegen, compileSeconds: 0)
        }
        var compiled = false
        let compileStart = Date()
        let library = try cache.library(source: source, compiler: compiler, compiled: &compiled)
        let kernels = try plan.map { entry -> CompiledKernel? in
            guard let entry else { return nil }
            return CompiledKernel(function: try library.symbol(entry.name), program: entry.program,
                                  broadcast: entry.broadcast, outputTypes: entry.outputs)
        }
        return Result(kernels: kernels, library: library, source: source, compiled: compiled,
                      codegenSeconds: codegen, compileSeconds: Date().timeIntervalSince(compileStart))
    }
}
