import Foundation
import Synchronization

/// How ``function(_:_:updates:givens:mode:options:trace:)`` compiles: the linker, the C
/// compiler and its cache, threads and profiling.
///
/// Defaults can be changed for a scope with the task-local ``current``:
/// ```swift
/// try CompileOptions.$current.withValue(CompileOptions(linker: .interpreter)) {
///     let f = try function([x], [y])   // runs every node's reference implementation
/// }
/// ```
/// Everything that changes generated code (compiler, flags) is part of the kernel cache key.
public struct CompileOptions: Sendable {
    public enum Linker: Sendable {
        /// Generated C for elementwise and reduction nodes (fused), compiled at run time;
        /// BLAS and reference implementations for the rest. Falls back to the interpreter
        /// with a one-line warning when no C compiler is found.
        case c
        /// Every node's reference `perform`.
        case interpreter
    }

    public var linker: Linker
    /// A C compiler to use instead of searching (`THEANO_CC` also overrides the search).
    public var compilerPath: String?
    /// Where compiled kernels are cached (default: ``KernelCache/defaultDirectory``).
    public var cacheDirectory: URL?
    /// Threads for large loops (nil: one per core; 1: no parallelism).
    public var threads: Int?
    /// Collect time per node and per op type (see ``Function/profile``).
    public var profile: Bool

    public init(linker: Linker = .c, compilerPath: String? = nil, cacheDirectory: URL? = nil, threads: Int? = nil,
                profile: Bool = false) {
        self.linker = linker
        self.compilerPath = compilerPath
        self.cacheDirectory = cacheDirectory
        self.threads = threads
        self.profile = profile
    }

    /// The options used when none are passed. The environment variable `THEANO_LINKER`
    /// (`c` or `interpreter`) overrides the default linker, for debugging and for test runs
    /// that should exercise the reference implementations.
    @TaskLocal public static var current = CompileOptions(
        linker: ProcessInfo.processInfo.environment["THEANO_LINKER"] == "interpreter" ? .interpreter : .c)
}

/// The default compiler, found once per process.
let defaultCompiler: CCompiler? = CCompiler.find()

/// Whether the "no C compiler" warning was printed (printed once per process).
let warnedNoCompiler = Atomic<Bool>(false)

func warnNoCompiler() {
    if !warnedNoCompiler.exchange(true, ordering: .relaxed) {
        FileHandle.standardError.write(Data("theano: warning: no C compiler found (cc, gcc or clang); functions run on the interpreter\n".utf8))
    }
}
