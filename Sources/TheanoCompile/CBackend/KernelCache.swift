import Crypto
import Foundation
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// The on-disk cache of compiled translation units.
///
/// The cache owns a marked folder (see `KernelCache+Folder.swift`): ``directory`` itself, or
/// its subfolder `theano-kernels/` when ``directory`` holds files of its own.
/// An entry is `<key>.so` plus `<key>.sum` (its size and SHA-256), where the key is the SHA-256
/// of everything that determines the binary: the C source, the compiler (path, canonical path,
/// `--version` line, target, flags, libraries) and the CPU that `-march=native` targets
/// (``CPUIdentity``), so a folder shared by two machines never loads code built for another
/// CPU. Compiling takes an exclusive `flock` on `<key>.lock`, so processes compiling the same
/// source at once build it once; files are written under temporary names and renamed into
/// place, so readers never see half a file. An entry whose `.so` does not match its `.sum`
/// (truncated, corrupt) is rebuilt, never loaded; a library that does not load is never cached.
public struct KernelCache: Sendable {
    /// The folder asked for (``defaultDirectory`` unless given); the entries live in it or in
    /// its subfolder `theano-kernels/` (``existingFolder()`` says which).
    public let directory: URL
    /// The processor whose identity enters the keys (``CPUIdentity/current`` unless a test says
    /// otherwise).
    public let cpu: CPUIdentity

    /// The default folder: `$THEANO_CACHE_DIR`, else `$XDG_CACHE_HOME/theano-swift`, else
    /// `~/.cache/theano-swift`.
    public static var defaultDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["THEANO_CACHE_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("theano-swift") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/theano-swift")
    }

    public init(directory: URL = KernelCache.defaultDirectory, cpu: CPUIdentity = .current) {
        self.directory = directory
        self.cpu = cpu
    }

    /// Names the layout of keys; changing what a key hashes means changing this.
    static let keyVersion = "theano-kernel-cache-2"

    /// The cache key of `source` compiled by `compiler` for `cpu`: the SHA-256 (64 hex digits)
    /// of every field, each prefixed by its length so no two field lists hash the same text.
    static func key(source: String, compiler: CCompiler, cpu: CPUIdentity) -> String {
        var sha = SHA256()
        for field in [keyVersion, source] + compiler.cacheIdentity + [cpu.fingerprint] {
            sha.update(data: Data("\(field.utf8.count):".utf8))
            sha.update(data: Data(field.utf8))
        }
        return hex(sha.finalize())
    }

    /// Loads the library for `source`, compiling it first unless a valid entry exists.
    /// `compiled` is set to true when a compiler ran.
    ///
    /// Every failure is a ``TheanoError`` a person can act on: a cache folder that is a file or
    /// cannot be written, a compiler that fails, writes nothing or writes something that does
    /// not load, a full disk. A `clear` running at the same time never makes it fail: `clear`
    /// deletes an entry only under its lock, and an attempt that finds its files gone (the
    /// folder deleted by hand) starts once more.
    package func library(source: String, compiler: CCompiler, compiled: inout Bool, background: Bool = false) throws -> SharedLibrary {
        do { return try attempt(source: source, compiler: compiler, compiled: &compiled, background: background) } catch is Vanished {}
        do { return try attempt(source: source, compiler: compiler, compiled: &compiled, background: background) } catch let gone as Vanished {
            throw gone.error
        }
    }

    /// The library for `source` when a valid entry exists, loaded without compiling, locking
    /// or waiting; nil otherwise.
    func cachedLibrary(source: String, compiler: CCompiler) -> SharedLibrary? {
        guard let folder = try? preparedFolder() else { return nil }
        let key = KernelCache.key(source: source, compiler: compiler, cpu: cpu)
        let object = folder.appendingPathComponent("\(key).so").path
        let sum = folder.appendingPathComponent("\(key).sum").path
        guard isValid(object, sum) else { return nil }
        return try? SharedLibrary(path: object)
    }

    /// A file the cache had just written was gone: someone deleted the folder's contents.
    private struct Vanished: Error {
        let error: TheanoError
    }

    private func attempt(source: String, compiler: CCompiler, compiled: inout Bool, background: Bool) throws -> SharedLibrary {
        let folder = try preparedFolder()
        let key = KernelCache.key(source: source, compiler: compiler, cpu: cpu)
        let object = folder.appendingPathComponent("\(key).so").path
        let sum = folder.appendingPathComponent("\(key).sum").path
        // A load that fails (the entry deleted after the check) falls through to the locked path.
        if isValid(object, sum), let lib = try? SharedLibrary(path: object) { return lib }

        // Held until the library is loaded, so `clear` cannot delete it in between.
        let lock = try EntryLock.acquire(folder.appendingPathComponent("\(key).lock").path)
        defer { withExtendedLifetime(lock) {} }
        // Another process may have built it while we waited.
        if isValid(object, sum), let lib = try? SharedLibrary(path: object) { return lib }

        let unique = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let sourceFile = folder.appendingPathComponent("\(key).\(unique).c").path
        let tmpObject = folder.appendingPathComponent("\(key).\(unique).so").path
        let tmpSum = folder.appendingPathComponent("\(key).\(unique).sum").path
        defer {
            for f in [sourceFile, tmpObject, tmpSum] { _ = try? CacheFiles.remove(f) }
        }
        do {
            try CacheFiles.write(source, to: sourceFile)
        } catch let error as TheanoError where !CacheFiles.isFolder(folder.path) {
            throw Vanished(error: error)
        }
        try compiler.compile(source: URL(fileURLWithPath: sourceFile), output: URL(fileURLWithPath: tmpObject), background: background)
        guard let data = try CacheFiles.read(tmpObject), !data.isEmpty else {
            let problem = TheanoError.io("C backend: \(compiler.path) exited successfully but wrote no library (expected \(tmpObject)); "
                + "THEANO_CC or CompileOptions.compilerPath must name a C compiler such as cc, gcc or clang")
            // Its source gone too means someone emptied the folder meanwhile; one more try.
            if CacheFiles.type(sourceFile) == nil { throw Vanished(error: problem) }
            throw problem
        }
        compiled = true
        // Never publish a library that does not load.
        let lib: SharedLibrary
        do {
            lib = try SharedLibrary(path: tmpObject, name: object)
        } catch let error as TheanoError {
            let reason = error.message.hasPrefix("C backend: ") ? String(error.message.dropFirst("C backend: ".count)) : error.message
            throw TheanoError.io("C backend: \(compiler.path) built a library that cannot be loaded, so it was not cached (\(reason))")
        }
        try CacheFiles.write(KernelCache.checksumText(data), to: tmpSum)
        for (from, to) in [(tmpObject, object), (tmpSum, sum)] {
            guard rename(from, to) != 0 else { continue }
            let code = errno
            let error = CacheFiles.failure("move a compiled kernel into the cache as", to, errno: code)
            throw code == ENOENT ? Vanished(error: error) : error
        }
        return lib
    }

    func isValid(_ object: String, _ sum: String) -> Bool {
        guard let expected = (try? CacheFiles.read(sum)).flatMap({ $0 }), let data = (try? CacheFiles.read(object)).flatMap({ $0 })
        else { return false }
        return expected == Data(KernelCache.checksumText(data).utf8)
    }

    /// A name for a text, safe in C symbols: the first 128 bits of its SHA-256, as 32 hex digits.
    static func hash(_ text: String) -> String {
        String(hex(SHA256.hash(data: Data(text.utf8))).prefix(32))
    }

    /// The content of a `.sum` file: the size of the library and the SHA-256 of its bytes.
    static func checksumText(_ data: Data) -> String {
        "\(data.count) \(hex(SHA256.hash(data: data)))"
    }
}

/// Lower-case hex digits of some bytes.
private func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for b in bytes {
        text.append(digits[Int(b >> 4)])
        text.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}
