import TheanoArray
import TheanoGraph

/// The compile-time context a ``KernelBackend`` prepares its kernels in.
///
/// It carries the ``CompileOptions``, keeps alive what the kernels need (loaded libraries),
/// collects generated source and compile times for ``Function/compileStatistics``, and
/// compiles inner graphs into nested programs on the same backend.
public final class LinkSession: @unchecked Sendable {
    /// The options the function is compiled with.
    public let options: CompileOptions
    /// Whether kernels are checked against the reference (``Mode/debug``); nested programs
    /// inherit it.
    let checksKernels: Bool
    private(set) var resources: [AnyObject] = []
    private(set) var sources: [(language: String, text: String)] = []
    private(set) var codegenSeconds = 0.0
    private(set) var compileSeconds = 0.0
    private(set) var ranCompiler = false
    /// Background compiles of nested programs (a function waits for them too).
    private(set) var upgrades: [KernelUpgrade] = []

    init(options: CompileOptions, checksKernels: Bool) {
        self.options = options
        self.checksKernels = checksKernels
    }

    /// Keeps `resource` alive as long as the compiled function.
    public func retain(_ resource: AnyObject) {
        resources.append(resource)
    }

    /// Records generated code for people to read (``Function/generatedSource(_:)``).
    public func addGeneratedSource(_ text: String, language: String) {
        sources.append((language, text))
    }

    /// Adds time spent generating and compiling code; `ranCompiler` is false when the code
    /// came from a cache.
    public func recordCompileTime(codegen: Double, compile: Double, ranCompiler: Bool) {
        codegenSeconds += codegen
        compileSeconds += compile
        self.ranCompiler = self.ranCompiler || ranCompiler
    }

    /// Compiles an inner graph (already optimised) into a nested program on this session's
    /// backend, with the same options except profiling: a profile times a nested program as
    /// its outer node, and a profiled body would keep a loop off its direct steps (so the
    /// profile would time a slower loop than the one that runs unprofiled).
    public func compile(_ graph: InnerGraph) throws -> CompiledGraph {
        let body = try FunctionGraph(inputs: graph.inputs, outputs: graph.outputs)
        var nestedOptions = options
        nestedOptions.profile = false
        let program = try Program(graph: body, outputCount: body.outputs.count, updateTargets: [],
                                  options: nestedOptions, checksKernels: checksKernels)
        recordCompileTime(codegen: program.statistics.codegenSeconds, compile: program.statistics.compileSeconds,
                          ranCompiler: program.statistics.ranCompiler)
        upgrades += program.upgrades
        return CompiledGraph(name: graph.name, program: program)
    }
}

/// An inner graph compiled into a nested program: what kernels of ops with inner graphs run.
public final class CompiledGraph: Sendable {
    /// The inner graph's name.
    public let name: String
    let program: Program
    /// The inner graph's input types, checked against each call's inputs.
    let inputTypes: [TensorType]

    init(name: String, program: Program) {
        self.name = name
        self.program = program
        self.inputTypes = program.graph.inputs.map(\.type)
    }

    /// How each node of the inner graph runs.
    public var kernelReport: KernelReport { program.kernelReport }

    /// Runs the inner graph on `inputs` (one value per inner input, of its type), allocating
    /// from the caller's `context` (the kernel's own, so buffers are shared with the outer
    /// program).
    ///
    /// The results never share storage with `inputs` or with each other (an inner graph that
    /// returns an input, a view of one, or one value twice gets copies), so the outer graph
    /// may treat every output as a new value.
    public func run(_ inputs: [NDArray], in context: KernelContext) throws -> [NDArray] {
        try checkInputs(inputs)
        return unaliasedOutputs(try program.run(inputs, in: context), from: inputs)
    }

    /// Runs one step of a loop: checks the inputs only when `checkingInputs` (a loop checks
    /// its first step; later steps receive values of the same types), and returns results that
    /// may share storage with the inputs (the loop copies them into its own buffers before
    /// the next step).
    func runStep(_ inputs: [NDArray], in context: KernelContext, checkingInputs: Bool, scratch: ProgramScratch) throws -> [NDArray] {
        if checkingInputs { try checkInputs(inputs) }
        return try program.runStep(inputs, in: context, scratch: scratch)
    }

    /// Working arrays for running this graph many times in a row (``runStep(_:in:checkingInputs:scratch:)``).
    func makeScratch() -> ProgramScratch { ProgramScratch(slotCount: program.slotCount) }

    private func checkInputs(_ inputs: [NDArray]) throws {
        guard inputs.count == inputTypes.count else {
            throw TheanoError.invalidArgument("\(name): the inner graph takes \(inputTypes.count) inputs, got \(inputs.count)")
        }
        for (i, (value, type)) in zip(inputs, inputTypes).enumerated() {
            if let problem = type.mismatch(with: value) {
                throw TheanoError.typeMismatch("\(name): input \(i) of the inner graph: \(problem)")
            }
        }
    }
}
