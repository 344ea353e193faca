import Foundation
import Synchronization

/// How ``function(_:_:updates:givens:mode:options:trace:)`` compiles: the backend, the C
/// compiler and its cache, threads and profiling.
///
/// Defaults can be changed for a scope with the task-local ``current``:
/// ```swift
/// try CompileOptions.$current.withValue(CompileOptions(backend: .reference)) {
///     let f = try function([x], [y])   // runs every node's reference implementation
/// }
/// ```
/// Everything that changes generated code (compiler, flags) is part of the kernel cache key.
public struct CompileOptions: Sendable {
    /// Where and how nodes run (``Backend/cpu`` by default).
    public var backend: Backend
    /// Make a node the backend has no implementation for a compile-time error naming the op,
    /// instead of running its reference `perform` (see ``Function/kernelReport``). A failed
    /// C compilation counts as missing.
    public var strict: Bool
    /// A C compiler to use instead of searching (`THEANO_CC` also overrides the search).
    public var compilerPath: String?
    /// Where compiled kernels are cached (default: ``KernelCache/defaultDirectory``).
    public var cacheDirectory: URL?
    /// Threads for large loops (nil: one per core; 1: no parallelism).
    public var threads: Int?
    /// Collect time per node and per op type (see ``Function/profile``).
    public var profile: Bool
    /// Whether a new function waits for its generated kernels (``KernelCompilation``).
    public var kernelCompilation: KernelCompilation

    /// When a new function's generated kernels are compiled.
    public enum KernelCompilation: Sendable {
        /// Start at once (the default): kernels found in the cache load immediately; the
        /// others run on kernels that need no compiler while the generated C compiles in the
        /// background, and are replaced between two calls when it is ready
        /// (``Function/waitForKernels()`` waits for that). Exploring, a new graph answers in
        /// milliseconds instead of after the compiler.
        case background
        /// Compile before the function is returned, for benchmarks and for errors at compile
        /// time (``CompileOptions/strict`` always waits).
        case wait
    }

    public init(backend: Backend = .cpu, strict: Bool = false, compilerPath: String? = nil, cacheDirectory: URL? = nil,
                threads: Int? = nil, profile: Bool = false,
                kernelCompilation: KernelCompilation = CompileOptions.environmentKernelCompilation ?? .background) {
        self.backend = backend
        self.kernelCompilation = kernelCompilation
        self.strict = strict
        self.compilerPath = compilerPath
        self.cacheDirectory = cacheDirectory
        self.threads = threads
        self.profile = profile
    }

    /// The options used when none are passed. The environment variable `THEANO_BACKEND`
    /// (`cpu`, `reference`, or a backend of a linked module such as `cuda-emulator`)
    /// overrides the default backend, for debugging and for test runs; the older
    /// `THEANO_LINKER` (`c` or `interpreter`) is still read; without either, `THEANO_DEVICE`
    /// (`cpu`, `cuda`, `cuda:N`, `cuda-emulator`) chooses the device, as Theano's
    /// `THEANO_FLAGS=device=cuda0` did. An unknown value is reported once on standard error
    /// and ignored.
    @TaskLocal public static var current = CompileOptions(backend: environmentBackend() ?? .cpu)

    // MARK: Deprecated linker names

    /// The linkers of earlier versions; a backend is now a value (``Backend``).
    public enum Linker: Sendable {
        /// Now ``Backend/cpu``.
        case c
        /// Now ``Backend/reference``.
        case interpreter
    }

    @available(*, deprecated, message: "use CompileOptions(backend: .cpu) or CompileOptions(backend: .reference)")
    public init(linker: Linker, compilerPath: String? = nil, cacheDirectory: URL? = nil, threads: Int? = nil,
                profile: Bool = false) {
        self.init(backend: linker == .c ? .cpu : .reference, compilerPath: compilerPath, cacheDirectory: cacheDirectory,
                  threads: threads, profile: profile)
    }
}

extension CompileOptions {
    /// `THEANO_KERNEL_COMPILATION=wait|background`, read once (the test suite waits, so its
    /// reports are deterministic; the tiered path has tests of its own).
    public static let environmentKernelCompilation: KernelCompilation? = {
        switch ProcessInfo.processInfo.environment["THEANO_KERNEL_COMPILATION"]?.lowercased() {
        case "wait": return .wait
        case "background": return .background
        default: return nil
        }
    }()
}

/// The backend named by `THEANO_BACKEND` (or the older `THEANO_LINKER`), else the device named
/// by `THEANO_DEVICE` (`cpu`, `cuda`, `cuda:N`, `cuda-emulator`: Theano's `device` flag), if
/// any.
private func environmentBackend() -> Backend? {
    let env = ProcessInfo.processInfo.environment
    for variable in ["THEANO_BACKEND", "THEANO_LINKER", "THEANO_DEVICE"] {
        guard let value = env[variable], !value.isEmpty else { continue }
        if let backend = Backend.named(value) { return backend }
        var message = "theano: warning: \(variable)=\(value) is not a backend (known here: \(BackendProviders.names.joined(separator: ", ")))"
        if value.lowercased().hasPrefix("cuda") && !BackendProviders.names.contains(where: { $0.hasPrefix("cuda") }) {
            message += "; the CUDA backends come with the TheanoCUDA module, which this program does not link"
        }
        FileHandle.standardError.write(Data((message + "; using cpu\n").utf8))
    }
    return nil
}

/// The default compiler, found once per process.
let defaultCompiler: CCompiler? = CCompiler.find()

/// Whether the "no C compiler" warning was printed (printed once per process).
let warnedNoCompiler = Atomic<Bool>(false)

func warnNoCompiler() {
    if !warnedNoCompiler.exchange(true, ordering: .relaxed) {
        FileHandle.standardError.write(Data("theano: warning: no C compiler found (cc, gcc or clang); elementwise nodes run their reference implementation\n".utf8))
    }
}
