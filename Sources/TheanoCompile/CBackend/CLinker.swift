import Foundation
import TheanoArray
import TheanoGraph
import TheanoTensor

/// The CPU backend's C generation: one translation unit with a kernel for every elementwise
/// and reduction node (identical kernels shared), compiled through the ``KernelCache`` and
/// loaded.
///
/// Nothing fails silently: a kernel that cannot be rendered, a compiler that is missing or
/// fails, a cache that cannot be written or a library that does not load makes the nodes
/// concerned ``KernelChoice/missing(_:)`` with the reason (they run their reference `perform`,
/// or the compile fails under ``CompileOptions/strict``). Nothing here throws.
enum CLinker {
    /// What the report calls these kernels.
    static let implementation = "generated C"

    static func link(_ items: [(node: Apply, program: KernelProgram)], in session: LinkSession) -> [KernelChoice] {
        let options = session.options
        guard let compiler = options.compilerPath.flatMap({ CCompiler.cached(preferred: $0) }) ?? defaultCompiler else {
            warnNoCompiler()
            return items.map { _ in .missing("no C compiler found (looked for THEANO_CC, cc, gcc and clang on the PATH)") }
        }
        let start = Date()
        struct Key: Hashable {
            let program: KernelProgram
            let scalar: [Bool]
            let lastAxis: [Bool]
        }
        var names: [Key: String] = [:]
        var bodies: [String: String] = [:]
        var plan: [Result<(name: String, program: KernelProgram, broadcast: [[Bool]], outputs: [DType]), TheanoError>] = []
        for (node, program) in items {
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
                let template: String
                do {
                    template = try source.render()
                } catch {
                    plan.append(.failure(TheanoError.unsupported("cannot generate C: \(describe(error))")))
                    continue
                }
                name = "th_" + KernelCache.hash(template)
                names[key] = name
                if bodies[name] == nil { bodies[name] = template.replacing("TH_KERNEL", with: name) }
            }
            plan.append(.success((name, program, broadcast, node.outputTypes.map(\.dtype))))
        }
        let source = CPreamble.text + "\n" + bodies.keys.sorted().compactMap { bodies[$0] }.joined(separator: "\n")
        let codegen = Date().timeIntervalSince(start)
        guard !bodies.isEmpty else { return plan.map(choice) }
        session.addGeneratedSource(source, language: "C")
        var compiled = false
        let compileStart = Date()
        let library: SharedLibrary
        do {
            library = try KernelCache(directory: options.cacheDirectory ?? KernelCache.defaultDirectory)
                .library(source: source, compiler: compiler, compiled: &compiled)
        } catch {
            session.recordCompileTime(codegen: codegen, compile: Date().timeIntervalSince(compileStart), ranCompiler: true)
            // The cache's errors say what failed (compiling, the cache folder, loading) and where.
            let reason = describe(error)
            return plan.map { entry in
                if case .failure(let problem) = entry { return .missing(problem.message) }
                return .missing(reason)
            }
        }
        session.retain(library)
        session.recordCompileTime(codegen: codegen, compile: Date().timeIntervalSince(compileStart), ranCompiler: compiled)
        return plan.map { entry in
            guard case .success(let e) = entry else { return choice(entry) }
            do {
                let kernel = CompiledKernel(function: try library.symbol(e.name), program: e.program,
                                            broadcast: e.broadcast, outputTypes: e.outputs)
                return .kernel(kernel, implementation: implementation)
            } catch {
                return .missing("cannot load the generated C kernel: \(describe(error))")
            }
        }
    }

    private static func choice(_ entry: Result<(name: String, program: KernelProgram, broadcast: [[Bool]], outputs: [DType]), TheanoError>) -> KernelChoice {
        if case .failure(let problem) = entry { return .missing(problem.message) }
        return .missing("no C kernel")
    }

    private static func describe(_ error: any Error) -> String {
        (error as? TheanoError)?.message ?? "\(error)"
    }
}
