import Crypto
import Foundation
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

// Device code kept beside the C kernels: a backend that compiles kernels for a device (the CUDA
// backend's cubins from NVRTC) stores each result as `<key>.cubin` with its `<key>.sum`, under
// the same locks, temporary names and checksums as the C kernels' libraries, so a function
// compiled again in a later process loads its device code without running the compiler.

extension KernelCache {
    /// The extensions of device-code entries (besides the C kernels' `.so`).
    static let binaryExtensions = ["cubin"]

    /// The key of a binary described by `fields` (the source, the target, the compiler's
    /// version and options: everything that determines the bytes).
    static func binaryKey(_ fields: [String], fileExtension: String) -> String {
        var sha = SHA256()
        for field in ["theano-binary-cache-1", fileExtension] + fields {
            sha.update(data: Data("\(field.utf8.count):".utf8))
            sha.update(data: Data(field.utf8))
        }
        return sha.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The bytes `build` makes for `fields`, from the cache when a valid entry exists (`built`
    /// false), else built under the entry's lock and stored (`built` true). A corrupt entry (its
    /// bytes do not match its checksum) is rebuilt, never returned.
    ///
    /// - Throws: what `build` throws; a `TheanoError` when the cache folder cannot be used or
    ///   written (as for the C kernels).
    package func binary(describedBy fields: [String], fileExtension: String = "cubin",
                        build: () throws -> Data) throws -> (data: Data, built: Bool) {
        // Only listed extensions, so that `theano cache` lists and clears every file written.
        guard Self.binaryExtensions.contains(fileExtension) else {
            throw TheanoError.invalidArgument(
                "KernelCache: binaries are stored as \(Self.binaryExtensions.sorted().map { ".\($0)" }.joined(separator: ", ")), not .\(fileExtension)")
        }
        let folder = try preparedFolder()
        let key = Self.binaryKey(fields, fileExtension: fileExtension)
        let file = folder.appendingPathComponent("\(key).\(fileExtension)").path
        let sum = folder.appendingPathComponent("\(key).sum").path
        if isValid(file, sum), let data = try CacheFiles.read(file) { return (data, false) }
        let lock = try EntryLock.acquire(folder.appendingPathComponent("\(key).lock").path)
        defer { withExtendedLifetime(lock) {} }
        if isValid(file, sum), let data = try CacheFiles.read(file) { return (data, false) }
        let data = try build()
        let unique = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let tmpFile = folder.appendingPathComponent("\(key).\(unique).\(fileExtension)").path
        let tmpSum = folder.appendingPathComponent("\(key).\(unique).sum").path
        defer {
            for f in [tmpFile, tmpSum] { _ = try? CacheFiles.remove(f) }
        }
        try CacheFiles.write(data, to: tmpFile)
        try CacheFiles.write(KernelCache.checksumText(data), to: tmpSum)
        for (from, to) in [(tmpFile, file), (tmpSum, sum)] where rename(from, to) != 0 {
            throw CacheFiles.failure("move compiled device code into the cache as", to, errno: errno)
        }
        return (data, true)
    }
}
