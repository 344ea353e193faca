import Dispatch
import Foundation
import TheanoArray
import TheanoGraph
import TheanoTensor

/// The CPU backend's C generation: a kernel for every elementwise and reduction node
/// (identical kernels shared), in a few translation units compiled side by side through the
/// ``KernelCache`` and loaded.
///
/// A new function never waits for the compiler unless asked to
/// (``CompileOptions/kernelCompilation``): kernels found in the cache load at once; otherwise
/// the nodes start on kernels that need no compiler and the generated C compiles in the
/// background, replacing them between two calls when it is ready (``KernelUpgrade``).
///
/// Nothing fails silently: a kernel that cannot be rendered, a compiler that is missing or
/// fails, a cache that cannot be written or a library that does not load leaves the nodes
/// concerned on their first kernels, with the reason in the report (and is an error under
/// ``CompileOptions/strict``, which waits). Nothing here throws.
enum CLinker {
    /// What the report calls these kernels.
    static let implementation = "generated C"

    /// A planned kernel: its symbol and what the runtime needs to call it.
    private struct Planned {
        let name: String
        let program: KernelProgram
        let broadcast: [[Bool]]
        let outputs: [DType]
    }

    static func link(_ items: [(node: Apply, program: KernelProgram)], in session: LinkSession) -> [KernelChoice] {
        let options = session.options
        guard let compiler = options.compilerPath.flatMap({ CCompiler.cached(preferred: $0) }) ?? defaultCompiler else {
            warnNoCompiler()
            let reason = "no C compiler found (looked for THEANO_CC, cc, gcc and clang on the PATH)"
            return items.map { node, program in
                PrecompiledKernels.kernel(for: node, program: program)
                    .map { .kernel($0, implementation: PrecompiledKernels.implementation, note: reason) } ?? .missing(reason)
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let (plan, bodies) = render(items)
        let units = translationUnits(bodies)
        let codegen = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard !units.isEmpty else { return plan.map { choice(for: $0, libraries: [:]) } }
        session.addGeneratedSource(units.map(\.source).joined(separator: "\n"), language: "C")
        let cache = KernelCache(directory: options.cacheDirectory ?? KernelCache.defaultDirectory)

        // Warm: every translation unit is in the cache.
        let cached = units.map { cache.cachedLibrary(source: $0.source, compiler: compiler) }
        if cached.allSatisfy({ $0 != nil }) {
            session.recordCompileTime(codegen: codegen, compile: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - codegen,
                                      ranCompiler: false)
            return plan.map { choice(for: $0, libraries: libraries(units, cached.map { .success($0!) })) }
        }

        // Cold, waiting: compile now.
        if options.kernelCompilation == .wait || options.strict {
            let compileStart = DispatchTime.now().uptimeNanoseconds
            let loaded = compile(units, cache: cache, compiler: compiler)
            session.recordCompileTime(codegen: codegen, compile: Double(DispatchTime.now().uptimeNanoseconds - compileStart) / 1e9,
                                      ranCompiler: true)
            return plan.map { choice(for: $0, libraries: libraries(units, loaded)) }
        }

        // Cold, starting at once: first kernels now, generated C when it is ready.
        session.recordCompileTime(codegen: codegen, compile: 0, ranCompiler: false)
        let upgrade = KernelUpgrade()
        let first = zip(items, plan).enumerated().map { key, pair -> KernelChoice in
            guard case .success = pair.1 else { return choice(for: pair.1, libraries: [:]) }
            return firstKernel(for: pair.0.node, program: pair.0.program).upgrading(upgrade, key: key)
        }
        DispatchQueue.global(qos: .userInitiated).async {
            let loaded = compile(units, cache: cache, compiler: compiler, background: true)
            let libs = libraries(units, loaded)
            var finals: [Int: KernelChoice] = [:]
            for (key, entry) in plan.enumerated() where first[key].upgrade != nil {
                finals[key] = choice(for: entry, libraries: libs)
            }
            upgrade.complete(finals)
        }
        return first
    }

    /// What runs a node while its generated C compiles: a precompiled kernel
    /// (``PrecompiledKernels``), or the node's reference implementation when there is none.
    static func firstKernel(for node: Apply, program: KernelProgram) -> KernelChoice {
        if let kernel = PrecompiledKernels.kernel(for: node, program: program) {
            return .kernelWhileCompiling(kernel, implementation: "\(PrecompiledKernels.implementation) (C compiling)")
        }
        return .kernelWhileCompiling(ReferenceKernel(), implementation: "reference (C compiling)")
    }

    // MARK: Code generation

    /// One kernel body per distinct (program, static broadcast pattern), named by a hash of its
    /// own text, so a translation unit depends only on which kernels it holds, never on node
    /// order (stable cache keys).
    private static func render(_ items: [(node: Apply, program: KernelProgram)]) -> ([Result<Planned, TheanoError>], [String: String]) {
        struct Key: Hashable {
            let program: KernelProgram
            let scalar: [Bool]
            let lastAxis: [Bool]
        }
        var names: [Key: String] = [:]
        var bodies: [String: String] = [:]
        var plan: [Result<Planned, TheanoError>] = []
        for (node, program) in items {
            let types = node.inputs.map(\.type)
            let broadcast = types.map { t in t.shape.map { $0 == 1 } }
            let key = Key(program: program, scalar: types.map { t in t.shape.allSatisfy { $0 == 1 } },
                          lastAxis: types.map { t in t.shape.last.map { $0 == 1 } ?? true })
            let name: String
            if let existing = names[key] {
                name = existing
            } else {
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
            plan.append(.success(Planned(name: name, program: program, broadcast: broadcast, outputs: node.outputTypes.map(\.dtype))))
        }
        return (plan, bodies)
    }

    /// A translation unit: the preamble and some kernel bodies.
    private struct Unit {
        let names: [String]
        let source: String
    }

    /// The kernels split into as many translation units as there are cores (at most 4), by
    /// their sorted names, so the compiler runs on every core and each unit's text is stable.
    private static func translationUnits(_ bodies: [String: String]) -> [Unit] {
        let names = bodies.keys.sorted()
        guard !names.isEmpty else { return [] }
        let count = Swift.min(names.count, Swift.max(1, Swift.min(4, ProcessInfo.processInfo.activeProcessorCount)))
        return (0..<count).map { u in
            let mine = stride(from: u, to: names.count, by: count).map { names[$0] }
            let code = mine.compactMap { bodies[$0] }.joined(separator: "\n")
            return Unit(names: mine, source: CPreamble.text(for: code) + "\n" + code)
        }
    }

    // MARK: Compiling and loading

    /// Compiles (or loads from the cache) every unit, side by side.
    ///
    /// In the background the units compile one at a time at a lower priority, leaving the
    /// other cores to the function that runs meanwhile.
    private static func compile(_ units: [Unit], cache: KernelCache, compiler: CCompiler,
                                background: Bool = false) -> [Result<SharedLibrary, TheanoError>] {
        let results = UnitResults(count: units.count)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let parallel = background ? Swift.max(1, cores - 1) : cores
        let run: @Sendable (Int) -> Void = { i in
            var ran = false
            do {
                results.set(i, .success(try cache.library(source: units[i].source, compiler: compiler, compiled: &ran,
                                                          background: background)))
            } catch {
                results.set(i, .failure(error as? TheanoError ?? TheanoError.io("C backend: \(error)")))
            }
        }
        if parallel <= 1 {
            for i in units.indices { run(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: units.count) { run($0) }
        }
        return results.values
    }

    /// The library each kernel name lives in (or why it could not be had).
    private static func libraries(_ units: [Unit], _ loaded: [Result<SharedLibrary, TheanoError>]) -> [String: Result<SharedLibrary, TheanoError>] {
        var byName: [String: Result<SharedLibrary, TheanoError>] = [:]
        for (unit, library) in zip(units, loaded) {
            for name in unit.names { byName[name] = library }
        }
        return byName
    }

    /// The final choice for a planned kernel.
    private static func choice(for entry: Result<Planned, TheanoError>, libraries: [String: Result<SharedLibrary, TheanoError>]) -> KernelChoice {
        switch entry {
        case .failure(let problem):
            return .missing(problem.message)
        case .success(let e):
            guard let library = libraries[e.name] else { return .missing("no C kernel") }
            switch library {
            case .failure(let problem):
                // The cache's errors say what failed (compiling, the cache folder, loading) and where.
                return .missing(problem.message)
            case .success(let lib):
                do {
                    let kernel = CompiledKernel(library: lib, function: try lib.symbol(e.name), program: e.program,
                                                broadcast: e.broadcast, outputTypes: e.outputs)
                    return .kernel(kernel, implementation: implementation)
                } catch {
                    return .missing("cannot load the generated C kernel: \(describe(error))")
                }
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? TheanoError)?.message ?? "\(error)"
    }
}

/// Results written by concurrent compiles, one slot each.
private final class UnitResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<SharedLibrary, TheanoError>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: Result<SharedLibrary, TheanoError>) {
        lock.lock()
        slots[i] = value
        lock.unlock()
    }

    var values: [Result<SharedLibrary, TheanoError>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0 ?? .failure(TheanoError.io("C backend: a translation unit was not compiled")) }
    }
}
