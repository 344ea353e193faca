import Foundation
import TheanoGraph
import TheanoTensor

/// How ``function(_:_:updates:givens:mode:)`` optimises a graph: a rewrite pipeline and the
/// names of rewrites or passes to skip.
///
/// ```swift
/// let f = try function([x], [y], mode: .fastRun.excluding("constant_folding"))
/// ```
///
/// Some rewrites are opt-in (off by default): the standard pipelines hold rules that change
/// results for NaN or infinite inputs (`x - x` -> 0, `0 * x` -> 0; group `finite_only`, see
/// `CanonicalizeFiniteOnly`), and ``including(_:)`` turns them on:
/// `.fastRun.including("mul_by_zero")`, or `.fastRun.including("finite_only")` for all.
public struct Mode: Sendable, CustomStringConvertible {
    public var name: String
    public var pipeline: RewritePipeline
    /// Rewrites and passes (by name) that do not run.
    public var excluded: Set<String>
    /// Names given to ``including(_:)``: opt-in rewrites (or their groups) turned on in
    /// ``pipeline``, and excluded names put back.
    public private(set) var included: Set<String> = []
    /// Run every node's reference `perform` beside its fast kernel and compare (see ``debug``).
    public var checksKernels: Bool

    public init(name: String, pipeline: RewritePipeline, excluded: Set<String> = [], checksKernels: Bool = false) {
        self.name = name
        self.pipeline = pipeline
        self.excluded = excluded
        self.checksKernels = checksKernels
    }

    /// DebugMode: all optimisations, and at every call each node's reference `perform` runs
    /// beside its fast implementation; a call throws when their results differ beyond the
    /// dtype's tolerance, or when a node changes an input it does not declare it overwrites.
    public static var debug: Mode { Mode(name: "debug", pipeline: StandardPipelines.fastRun, checksKernels: true) }

    /// All optimisations (the default).
    public static var fastRun: Mode { Mode(name: "fastRun", pipeline: StandardPipelines.fastRun) }

    /// Only merging and constant folding: the quickest to compile.
    public static var fastCompile: Mode { Mode(name: "fastCompile", pipeline: StandardPipelines.fastCompile) }

    /// No rewriting at all: the graph runs exactly as written.
    public static var unoptimized: Mode { Mode(name: "unoptimized", pipeline: RewritePipeline([])) }

    /// The mode used when none is passed: ``fastRun``, unless the environment variable
    /// `THEANO_MODE` names another (`fastRun`, `fastCompile`, `unoptimized` or `debug`), as
    /// Theano's `THEANO_FLAGS=mode=DebugMode`. Change it for a scope with
    /// `Mode.$current.withValue(.debug) { ... }`.
    @TaskLocal public static var current: Mode = environmentMode() ?? .fastRun

    /// The built-in mode called `name`, or nil.
    public static func named(_ name: String) -> Mode? {
        switch name.lowercased() {
        case "fastrun", "fast_run": return .fastRun
        case "fastcompile", "fast_compile": return .fastCompile
        case "unoptimized", "unoptimised": return .unoptimized
        case "debug", "debugmode": return .debug
        default: return nil
        }
    }

    /// This mode without the named rewrites or passes.
    public func excluding(_ names: String...) -> Mode {
        var m = self
        m.excluded.formUnion(names)
        return m
    }

    /// This mode with the named rewrites or passes on: previously excluded ones back, and
    /// opt-in rewrites (by rewrite name or group name) enabled in the pipeline.
    public func including(_ names: String...) -> Mode {
        var m = self
        m.excluded.subtract(names)
        m.included.formUnion(names)
        m.pipeline = m.pipeline.enabling(Set(names))
        return m
    }

    public var description: String {
        "\(name): \(pipeline)"
            + (included.isEmpty ? "" : " including \(included.sorted().joined(separator: ", "))")
            + (excluded.isEmpty ? "" : " excluding \(excluded.sorted().joined(separator: ", "))")
    }
}

/// The mode named by `THEANO_MODE`, if any.
private func environmentMode() -> Mode? {
    guard let value = ProcessInfo.processInfo.environment["THEANO_MODE"], !value.isEmpty else { return nil }
    if let mode = Mode.named(value) { return mode }
    FileHandle.standardError.write(Data("theano: warning: THEANO_MODE=\(value) is not a mode (use fastRun, fastCompile, unoptimized or debug); using fastRun\n".utf8))
    return nil
}
