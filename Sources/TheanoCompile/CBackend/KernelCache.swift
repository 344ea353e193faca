import Crypto
import Foundation
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// The on-disk cache of compiled translation units.
///
/// An entry is `<key>.so` plus `<key>.sum` (its size and SHA-256), where the key is the SHA-256
/// of everything that determines the binary: the C source, the compiler (path, canonical path,
/// `--version` line, target, flags, libraries) and the CPU that `-march=native` targets
/// (``CPUIdentity``), so a folder shared by two machines never loads code built for another
/// CPU. Compiling takes an exclusive `flock` on `<key>.lock`, so processes compiling the same
/// source at once build it once; files are written under temporary names and renamed into
/// place, so readers never see half a file. An entry whose `.so` does not match its `.sum`
/// (truncated, corrupt) is rebuilt, never loaded.
public struct KernelCache: Sendable {
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
    func library(source: String, compiler: CCompiler, compiled: inout Bool) throws -> SharedLibrary {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = KernelCache.key(source: source, compiler: compiler, cpu: cpu)
        let object = directory.appendingPathComponent("\(key).so")
        let sum = directory.appendingPathComponent("\(key).sum")
        if isValid(object, sum), let lib = try? SharedLibrary(path: object.path) { return lib }

        let lockPath = directory.appendingPathComponent("\(key).lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw TheanoError.io("C backend: cannot create the lock file \(lockPath)") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(fd, LOCK_UN) }
        // Another process may have built it while we waited.
        if isValid(object, sum), let lib = try? SharedLibrary(path: object.path) { return lib }

        let unique = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let sourceFile = directory.appendingPathComponent("\(key).\(unique).c")
        let tmpObject = directory.appendingPathComponent("\(key).\(unique).so")
        let tmpSum = directory.appendingPathComponent("\(key).\(unique).sum")
        defer {
            for f in [sourceFile, tmpObject, tmpSum] { try? FileManager.default.removeItem(at: f) }
        }
        try source.write(to: sourceFile, atomically: false, encoding: .utf8)
        try compiler.compile(source: sourceFile, output: tmpObject)
        let data = try Data(contentsOf: tmpObject)
        try KernelCache.checksumText(data).write(to: tmpSum, atomically: false, encoding: .utf8)
        guard rename(tmpObject.path, object.path) == 0, rename(tmpSum.path, sum.path) == 0 else {
            throw TheanoError.io("C backend: cannot move a compiled kernel into the cache at \(directory.path)")
        }
        compiled = true
        return try SharedLibrary(path: object.path)
    }

    private func isValid(_ object: URL, _ sum: URL) -> Bool {
        guard let expected = try? String(contentsOf: sum, encoding: .utf8),
              let data = try? Data(contentsOf: object) else { return false }
        return expected == KernelCache.checksumText(data)
    }

    /// A name for a text, safe in C symbols: the first 128 bits of its SHA-256, as 32 hex digits.
    static func hash(_ text: String) -> String {
        String(hex(SHA256.hash(data: Data(text.utf8))).prefix(32))
    }

    /// The content of a `.sum` file: the size of the library and the SHA-256 of its bytes.
    static func checksumText(_ data: Data) -> String {
        "\(data.count) \(hex(SHA256.hash(data: data)))"
    }

    /// The compiled entries: file name, size in bytes, last modification.
    public func entries() -> [(name: String, bytes: Int, modified: Date)] {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: keys)) ?? []
        return files.filter { $0.pathExtension == "so" }.compactMap { url in
            let values = try? url.resourceValues(forKeys: Set(keys))
            return (url.deletingPathExtension().lastPathComponent, values?.fileSize ?? 0, values?.contentModificationDate ?? .distantPast)
        }.sorted { $0.modified > $1.modified }
    }

    /// Deletes every entry; returns how many files were removed.
    @discardableResult
    public func clear() throws -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        var removed = 0
        for f in files where ["so", "sum", "lock", "c"].contains(f.pathExtension) {
            try FileManager.default.removeItem(at: f)
            removed += 1
        }
        return removed
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
