import Dispatch
import TheanoArray
import TheanoGraph
import TheanoTensor

/// Compiles symbolic outputs into a callable ``Function``.
///
/// ```swift
/// let f = try function([x, In(w, value: 3)], [x * w])
/// let out = try f([1, 2, 3])            // Swift arrays and numbers, or NDArrays
/// let other = try f([1, 2, 3], w: 0.5)  // inputs with defaults can be named
/// ```
///
/// - Parameters:
///   - inputs: the tensors whose values are given at each call, in argument order; wrap one
///     in ``In`` to give it a default value, a keyword name or its own conversion rule.
///   - outputs: the tensors to compute.
///   - updates: new values for shared variables, computed from the same call's values and
///     stored together only after the whole call succeeded.
///   - givens: substitutions applied to the graph before compiling (replace a variable by
///     another expression, e.g. a slice of a shared dataset).
///   - mode: how to optimise the graph (``Mode/current``, normally ``Mode/fastRun``).
///   - options: backend, C compiler, cache and threads (``CompileOptions/current`` by default).
///   - trace: when given, records every rewrite applied.
///   - allowInputDowncast: convert every argument to its input's dtype with any cast
///     (truncation, wrapping, rounding), as Theano's `allow_input_downcast=True`; by default
///     only conversions that keep every value are made (see ``FunctionArgument``).
///   - noDefaultUpdates: skip the default updates (``Shared/defaultUpdate``) of the shared
///     variables the graph reads; by default each one that has no explicit update in
///     `updates` is updated with its default (so a random draw advances its stream's state).
/// - Throws: a ``TheanoError`` when an input is a constant or shared variable, an output needs
///   an input that was not listed, a `givens` key is not in the graph, an update's type does
///   not match its shared variable, or a default value does not fit its input.
public func function(
    _ inputs: [any FunctionInput], _ outputs: [Tensor],
    updates: [Shared: Tensor] = [:],
    givens: [Tensor: Tensor] = [:],
    mode: Mode = Mode.current,
    options: CompileOptions = CompileOptions.current,
    trace: RewriteTrace? = nil,
    allowInputDowncast: Bool = false,
    noDefaultUpdates: Bool = false
) throws -> Function {
    var allUpdates = updates.map { ($0.key, $0.value) }
    if !noDefaultUpdates {
        allUpdates += try defaultUpdates(outputs: outputs, explicit: allUpdates, givens: givens)
    }
    let definition = FunctionDefinition(
        inputs: inputs.map(\.functionInput), outputs: outputs, updates: allUpdates,
        givens: givens, mode: mode, options: options, allowInputDowncast: allowInputDowncast)
    return try Function(definition, trace: trace)
}

/// The default updates (``Shared/defaultUpdate``) of the shared variables that the outputs,
/// the explicit updates and the givens read and that have no explicit update; repeated until
/// no new one appears, since a default update may read further shared variables.
func defaultUpdates(outputs: [Tensor], explicit: [(Shared, Tensor)], givens: [Tensor: Tensor]) throws -> [(Shared, Tensor)] {
    var updated = Set(explicit.map { ObjectIdentifier($0.0.storage) })
    var found: [(Shared, Tensor)] = []
    var frontier = outputs.map(\.variable) + explicit.map(\.1.variable) + givens.values.map(\.variable)
    while !frontier.isEmpty {
        let roots = graphRoots(outputs: frontier)
        frontier = []
        for root in roots {
            guard let storage = root.sharedValue, let builder = storage.defaultUpdate,
                  updated.insert(ObjectIdentifier(storage)).inserted else { continue }
            let update = try builder.build(root)
            found.append((try Shared(sharedVariable: root), Tensor(update)))
            frontier.append(update)
        }
    }
    return found
}

/// What a ``Function`` was compiled from: kept so that ``Function/copy(swap:deleteUpdates:)``
/// can compile a variant.
struct FunctionDefinition: @unchecked Sendable {
    var inputs: [In]
    var outputs: [Tensor]
    var updates: [(Shared, Tensor)]
    var givens: [Tensor: Tensor]
    var mode: Mode
    var options: CompileOptions
    var allowInputDowncast: Bool
    /// Shared variables replaced by others (``Function/copy(swap:deleteUpdates:)``).
    var sharedSwap: [Shared: Shared] = [:]
}

/// A compiled function: call it with one value per input (``NDArray``s, Swift numbers or
/// nested Swift arrays, see ``FunctionArgument``); it returns one ``NDArray`` per output and
/// applies its updates to shared variables.
///
/// ```swift
/// let out = try f(a, b)             // positional
/// let out2 = try f(a, w: 3)         // inputs named by In(_:value:name:) or their tensor's name
/// let out3 = try f.call([a, b])     // NDArrays in an array
/// ```
///
/// Calls are thread-safe: a `Function` holds no per-call state. A call that throws (a wrong
/// argument, a run-time shape mismatch, an index out of range) changes no shared variable.
@dynamicCallable
public final class Function: Sendable {
    /// The input types, in argument order.
    public let inputTypes: [TensorType]
    /// The inputs as calls see them: keywords, defaults, conversion rules.
    let inputs: [InputSlot]
    let program: Program
    /// What the function was compiled from.
    let definition: FunctionDefinition
    /// Where compile time went.
    public let compileStatistics: CompileStatistics

    convenience init(inputs: [Tensor], outputs: [Tensor], updates: [(Shared, Tensor)], givens: [Tensor: Tensor],
                     mode: Mode = Mode.current, options: CompileOptions = CompileOptions.current, trace: RewriteTrace? = nil) throws {
        try self.init(FunctionDefinition(inputs: inputs.map { In($0) }, outputs: outputs, updates: updates, givens: givens,
                                         mode: mode, options: options, allowInputDowncast: false), trace: trace)
    }

    init(_ definition: FunctionDefinition, trace: RewriteTrace? = nil) throws {
        let inputs = definition.inputs.map(\.tensor)
        let (outputs, updates, givens, mode) = (definition.outputs, definition.updates, definition.givens, definition.mode)
        try Function.validateInputs(inputs)
        try Function.validateUpdates(updates)
        let slots = try definition.inputs.enumerated().map {
            try InputSlot($0.element, position: $0.offset, allowInputDowncast: definition.allowInputDowncast)
        }
        let updateValues = updates.map(\.1.variable)
        let wanted = outputs.map(\.variable) + updateValues
        var replacements = try Function.validateGivens(givens, inputs: inputs.map(\.variable), outputs: wanted)
        for (old, new) in definition.sharedSwap { replacements[old.variable] = new.variable }
        let cloned = try cloneGraph(inputs: inputs.map(\.variable), outputs: wanted, replacements: replacements)
        let graph = try FunctionGraph(inputs: cloned.inputs, outputs: cloned.outputs, clone: false)
        for (k, target) in updates.enumerated() { graph.updateTargets[outputs.count + k] = target.0.variable }
        try replaceSharedInInnerGraphs(graph, Dictionary(definition.sharedSwap.map { ($0.key.variable, $0.value.variable) },
                                                          uniquingKeysWith: { a, _ in a }))
        let rewriteStart = DispatchTime.now().uptimeNanoseconds
        let rewriting = RewriteContext(excluded: mode.excluded, trace: trace)
        try mode.pipeline.run(graph, rewriting)
        let rewriteSeconds = Double(DispatchTime.now().uptimeNanoseconds - rewriteStart) / 1e9
        self.inputTypes = inputs.map(\.type)
        self.inputs = slots
        self.definition = definition
        self.program = try Program(
            graph: graph, outputCount: outputs.count,
            updateTargets: updates.map { ($0.0.storage, $0.0.name ?? "shared variable") }, options: definition.options,
            checksKernels: mode.checksKernels)
        self.compileStatistics = CompileStatistics(
            rewriteSeconds: rewriteSeconds, codegenSeconds: program.statistics.codegenSeconds,
            cCompileSeconds: program.statistics.compileSeconds, ranCompiler: program.statistics.ranCompiler,
            nodeCount: graph.nodes.count, rewriteFailures: rewriting.failures.entries.map(\.description))
        program.profile?.compile.withLock { $0 = compileStatistics }
    }

    /// A function that runs `program` (a variant of `original`'s) without compiling again.
    init(variantOf original: Function, program: Program, definition: FunctionDefinition) {
        self.inputTypes = original.inputTypes
        self.inputs = original.inputs
        self.program = program
        self.definition = definition
        self.compileStatistics = original.compileStatistics
        program.profile?.compile.withLock { $0 = original.compileStatistics }
    }

    /// The optimised graph this function runs, as ``debugPrint(_:types:depth:)`` text.
    public func debugDescription(types: Bool = false) -> String {
        debugPrint(program.graph, types: types)
    }

    /// Time per node and op type, when compiled with `CompileOptions(profile: true)`.
    public var profile: Profile? { program.profile }

    /// How every node runs: the implementation the backend chose for it (generated C,
    /// OpenBLAS, a nested program, the reference), and why a node has none.
    ///
    /// ```swift
    /// print(f.kernelReport)
    /// // backend cpu: 3 nodes (1 generated C, 1 OpenBLAS, 1 reference)
    /// //   generated C   Composite{...}(float32[?], float32[?])
    /// //   ...
    /// ```
    public var kernelReport: KernelReport { program.kernelReport }

    /// Blocks until every kernel still compiling in the background is ready and in use
    /// (see ``CompileOptions/KernelCompilation``); returns at once when none is.
    public func waitForKernels() {
        program.waitForKernels()
    }

    /// Bytes of storage the function keeps between calls for reuse (bounded by what one call
    /// needs; see ``BufferRecycler``).
    public var retainedBufferBytes: Int { program.buffers.retainedBytes }

    /// The code the backend generated in `language` (`"C"` on the CPU backend), or nil.
    public func generatedSource(_ language: String) -> String? {
        let texts = program.statistics.sources.filter { $0.language == language }.map(\.text)
        return texts.isEmpty ? nil : texts.joined(separator: "\n")
    }

    /// The C source of the function's kernels (nil when none was generated).
    public var cSource: String? { generatedSource("C") }

    /// How many nodes run generated C kernels.
    public var compiledKernelCount: Int { program.kernelReport.count(CLinker.implementation) }

    /// The optimised graph in Graphviz DOT (see ``toDOT(_:name:)``).
    public func dot(name: String = "function") -> String {
        toDOT(program.graph.outputs, name: name)
    }

    // MARK: Validation

    private static func validateInputs(_ inputs: [Tensor]) throws {
        var seen = Set<Variable>()
        for (i, t) in inputs.enumerated() {
            switch t.variable.role {
            case .constant:
                throw TheanoError.invalidArgument("function: input \(i) (\(describeVariable(t.variable))) is a constant; constants cannot be function inputs")
            case .shared:
                throw TheanoError.invalidArgument("function: input \(i) (\(describeVariable(t.variable))) is a shared variable; its value is read automatically (use givens to substitute it)")
            default: break
            }
            guard seen.insert(t.variable).inserted else {
                throw TheanoError.invalidArgument("function: input \(i) (\(describeVariable(t.variable))) is listed twice")
            }
        }
    }

    private static func validateUpdates(_ updates: [(Shared, Tensor)]) throws {
        for (target, value) in updates {
            let name = target.name.map { "'\($0)'" } ?? "(unnamed)"
            guard target.type.dtype == value.type.dtype, target.type.rank == value.type.rank,
                  target.type.isCompatible(with: value.type) else {
                var hint = ""
                if target.type.dtype != value.type.dtype { hint = "; cast the update with .cast(.\(target.type.dtype))" }
                throw TheanoError.typeMismatch(
                    "function: the update for shared variable \(name) has type \(value.type) but the variable has type \(target.type)\(hint); update expression: \(expressionText(value.variable))")
            }
        }
    }

    private static func validateGivens(_ givens: [Tensor: Tensor], inputs: [Variable], outputs: [Variable]) throws -> [Variable: Variable] {
        guard !givens.isEmpty else { return [:] }
        let inGraph = Set(graphRoots(outputs: outputs)).union(toposort(outputs: outputs).flatMap(\.outputs))
        var replacements: [Variable: Variable] = [:]
        for (key, value) in givens {
            guard inGraph.contains(key.variable) else {
                throw TheanoError.graph("function: the givens key \(describeVariable(key.variable)) does not appear in the graph of the outputs or updates")
            }
            guard key.type.isSatisfied(by: value.type) else {
                throw TheanoError.typeMismatch(
                    "function: givens replaces \(describeVariable(key.variable)) by a value of type \(value.type); the types must agree (same dtype and rank, and every known size)")
            }
            replacements[key.variable] = value.variable
        }
        return replacements
    }
}

/// Where the time of compiling a ``Function`` went.
public struct CompileStatistics: Sendable {
    /// Running the rewrite pipeline.
    public let rewriteSeconds: Double
    /// Generating C source.
    public let codegenSeconds: Double
    /// Compiling (or loading from the cache) and loading the shared object.
    public let cCompileSeconds: Double
    /// Whether a C compiler ran (false: the kernels came from the cache, or there are none).
    public let ranCompiler: Bool
    /// Nodes in the optimised graph.
    public let nodeCount: Int
    /// Rewrite rules that threw while optimising (each then did not apply).
    public let rewriteFailures: [String]
}
