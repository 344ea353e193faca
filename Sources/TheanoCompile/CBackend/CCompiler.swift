import Foundation
import Synchronization
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// A C compiler found on the machine, with the flags the C backend uses.
///
/// Search order: the explicit path in ``CompileOptions``, the `THEANO_CC` environment
/// variable (for debugging), then `cc`, `gcc` and `clang` on the `PATH`. Compilers are spawned
/// with `posix_spawn` and waited for with `waitpid` (Foundation's `Process` polls, adding up
/// to 50 ms per compile).
public struct CCompiler: Sendable, Hashable {
    /// Absolute path of the compiler.
    public let path: String
    /// The first line of the compiler's `--version` output (part of every cache key).
    public let identity: String
    /// The target triple (`x86_64-unknown-linux-gnu`) where `--version` prints it (clang);
    /// empty otherwise (gcc). The CPU's architecture enters cache keys either way.
    public let target: String
    /// Flags for every compile: optimised for this CPU, IEEE semantics kept (no fast-math;
    /// only errno is given up, which lets libm calls vectorise).
    public let flags: [String]
    /// Libraries every kernel links against.
    static let libraries = ["-lmvec", "-lm"]

    /// Finds a working compiler; nil when there is none.
    /// ``find(preferred:)`` remembered per preferred path for the life of the process, so a
    /// function compiled with ``CompileOptions/compilerPath`` does not start the compiler to
    /// ask its version every time.
    static func cached(preferred: String) -> CCompiler? {
        if let known = foundByPath.withLock({ $0[preferred] }) { return known }
        let found = find(preferred: preferred)
        foundByPath.withLock { $0[preferred] = found }
        return found
    }

    private static let foundByPath = Mutex<[String: CCompiler?]>([:])

    public static func find(preferred: String? = nil) -> CCompiler? {
        var candidates: [String] = []
        if let preferred { candidates.append(preferred) }
        if let env = ProcessInfo.processInfo.environment["THEANO_CC"], !env.isEmpty { candidates.append(env) }
        candidates += ["cc", "gcc", "clang"]
        for name in candidates {
            guard let path = resolve(name), let version = try? run(path, ["--version"]).output else { continue }
            let lines = version.split(separator: "\n").map(String.init)
            let identity = lines.first ?? path
            // -O2 with gcc's dynamic vectoriser cost model vectorises the same loops as -O3
            // (libmvec calls included) and runs as fast, at about half the compile time
            // (docs/PERFORMANCE.md); THEANO_C_OPT replaces these flags for measurements.
            let isClang = identity.lowercased().contains("clang")
            let optimization = ProcessInfo.processInfo.environment["THEANO_C_OPT"].map { $0.split(separator: " ").map(String.init) }
                ?? (isClang ? ["-O2"] : ["-O2", "-ftree-vectorize", "-fvect-cost-model=dynamic"])
            var flags = optimization + ["-march=native", "-fPIC", "-shared", "-fno-math-errno", "-std=gnu11", "-w"]
            if isClang {
                flags.append("-fveclib=libmvec")
            } else {
                // A fused kernel with three inputs and three outputs needs 12 run-time overlap
                // checks before gcc vectorises its loop; gcc's default limit of 10 left batch
                // normalisation's multi-output kernels scalar.
                flags += ["--param", "vect-max-version-for-alias-checks=64"]
            }
            return CCompiler(path: path, identity: identity, target: targetTriple(versionLines: lines), flags: flags)
        }
        return nil
    }

    /// This compiler with other flags (for code that is not a kernel of the C backend: the
    /// CUDA emulator's units).
    package func with(flags: [String]) -> CCompiler {
        CCompiler(path: path, identity: identity, target: target, flags: flags)
    }

    /// Compiles `source` into the shared object `output`. Throws with the compiler's messages
    /// when it fails.
    ///
    /// A background compile runs at the lowest priority (`nice` 19), so that the function it
    /// compiles for keeps its core meanwhile.
    func compile(source: URL, output: URL, background: Bool = false) throws {
        let result = try CCompiler.run(path, flags + [source.path, "-o", output.path] + CCompiler.libraries,
                                       niceness: background ? 19 : 0)
        guard result.status == 0 else {
            throw TheanoError.unsupported(
                "C backend: the generated C did not compile: \(path) failed on \(source.lastPathComponent) (exit status \(result.status)):\n\(result.output.prefix(4000))")
        }
    }

    /// Everything about this compiler that shapes the binaries it builds, as cache keys hash it.
    /// The canonical path tells apart compilers behind the same name (`/usr/bin/cc` is a
    /// symlink chosen by the system); on Debian it also names gcc's target.
    var cacheIdentity: [String] {
        let canonical = realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path
        return [path, canonical, identity, target, flags.joined(separator: " "), CCompiler.libraries.joined(separator: " ")]
    }

    /// The `Target:` line of `--version` (clang prints one). gcc prints none and would need a
    /// second spawn (`-dumpmachine`, 3 ms measured, as much as `--version` itself); discovery
    /// runs once per function when `CompileOptions.compilerPath` is set, so it is not paid.
    private static func targetTriple(versionLines: [String]) -> String {
        guard let line = versionLines.first(where: { $0.hasPrefix("Target: ") }) else { return "" }
        return String(line.dropFirst("Target: ".count)).trimmingCharacters(in: .whitespaces)
    }

    private static func resolve(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program, returning its exit status and combined output.
    static func run(_ path: String, _ arguments: [String], niceness: Int32 = 0) throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cc-\(getpid())-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw TheanoError.unsupported(
                "C backend: cannot start \(path) with its output going to \(log.path): \(String(cString: strerror(spawned)))")
        }
        if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(pid), niceness) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : -1, output)
    }
}
