import Foundation
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// Which folder the cache owns, and what in it is the cache's.
///
/// The cache owns a folder that holds the marker file `.theano-kernel-cache` (a version line,
/// then a sentence for whoever finds it). It marks the folder it is given when that folder is
/// new, empty or holds nothing but cache entries (an unmarked cache of earlier versions); a
/// folder holding anything else (say `THEANO_CACHE_DIR=~/project`) is left alone and the
/// cache lives in its subfolder `theano-kernels/`, marked in turn. In its folder the cache
/// touches only names it writes: `<key>.so`, `<key>.cubin`, `<key>.sum`, `<key>.lock` and the
/// temporary `<key>.<pid>-<random>.c|.so|.cubin|.sum`, where the key is 64 lower-case hex digits (32 in the
/// entries of earlier versions, which are never loaded but are the cache's to delete); `clear`
/// deletes nothing else and refuses a folder that is not marked and holds other files.
extension KernelCache {
    /// The name of the file that marks a folder as a kernel cache.
    public static let markerName = ".theano-kernel-cache"
    /// Where the cache lives when the folder it is given holds files of its own.
    public static let subfolderName = "theano-kernels"
    /// The marker's content; its first line names the layout of the folder.
    static let markerText = """
        theano-kernel-cache 1
        This folder is a cache of C kernels compiled by Theano for Swift. `theano cache clear` \
        deletes only the cache's own files here (<hex digits>.so, .sum, .lock).

        """

    /// The folder that holds the entries, created and marked if needed: ``directory`` when it
    /// is marked, new, empty or holds only cache entries, else its marked subfolder
    /// `theano-kernels/`.
    func preparedFolder() throws -> URL {
        if Self.isMarked(directory) { return directory }
        let sub = directory.appendingPathComponent(Self.subfolderName)
        if Self.isMarked(sub) { return sub }
        try CacheFiles.makeFolder(directory.path)
        for folder in [directory, sub] {
            try CacheFiles.makeFolder(folder.path)
            if try Self.isClaimable(folder) {
                try Self.mark(folder)
                return folder
            }
        }
        throw TheanoError.io("C backend: \(directory.path) and its subfolder \(Self.subfolderName) both hold files the kernel "
            + "cache did not write, and neither is marked with \(Self.markerName); set THEANO_CACHE_DIR or "
            + "CompileOptions.cacheDirectory to a new or empty folder")
    }

    /// The folder that holds this cache's entries without creating anything: nil when there is
    /// no cache yet. Throws, saying why, when ``directory`` is not a folder, or is a folder of
    /// other files that is not marked and has no marked `theano-kernels/` inside.
    public func existingFolder() throws -> URL? {
        if Self.isMarked(directory) { return directory }
        let sub = directory.appendingPathComponent(Self.subfolderName)
        if Self.isMarked(sub) { return sub }
        switch CacheFiles.type(directory.path) {
        case nil: return nil
        case S_IFDIR: break
        default:
            throw TheanoError.io("\(directory.path) is a file, not a kernel cache folder; set THEANO_CACHE_DIR "
                + "(or --dir, or CompileOptions.cacheDirectory) to a folder")
        }
        let names = try CacheFiles.names(in: directory.path)
        if names.allSatisfy(Self.isCacheFile) { return directory }
        let others = names.filter { !Self.isCacheFile($0) }.sorted()
        let shown = others.prefix(5).joined(separator: ", ") + (others.count > 5 ? ", ..." : "")
        throw TheanoError.io("\(directory.path) is not a Theano kernel cache: it has no \(Self.markerName) marker and holds "
            + "other files (\(shown)); nothing was touched")
    }

    /// Whether `folder` holds the marker file.
    static func isMarked(_ folder: URL) -> Bool {
        CacheFiles.type(folder.appendingPathComponent(markerName).path) == S_IFREG
    }

    /// Whether the cache may take `folder` (which exists): it holds nothing but cache files.
    private static func isClaimable(_ folder: URL) throws -> Bool {
        try isMarked(folder) || CacheFiles.names(in: folder.path).allSatisfy(isCacheFile)
    }

    /// Writes the marker unless it is there (two processes marking at once both succeed).
    private static func mark(_ folder: URL) throws {
        let path = folder.appendingPathComponent(markerName).path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == EEXIST { return }
            throw CacheFiles.failure("mark the kernel cache folder with", path)
        }
        close(fd)
        try CacheFiles.write(markerText, to: path)
    }

    /// A name the cache writes (an entry, a lock, a temporary file) or its marker.
    static func isCacheFile(_ name: String) -> Bool {
        name == markerName || entryKey(ofFileNamed: name) != nil
    }

    /// The key of a file the cache writes: `<key>.so|.cubin|.sum|.lock`, or the temporary
    /// `<key>.<pid>-<random>.c|.so|.cubin|.sum`; nil for any other name. Keys are 64 lower-case hex
    /// digits, or 32 for the entries of versions before SHA-256 keys.
    static func entryKey(ofFileNamed name: String) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let key = parts.first, key.utf8.count == 64 || key.utf8.count == 32,
              key.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        switch parts.count {
        case 2:
            return (["so", "sum", "lock"] + binaryExtensions).contains(String(parts[1])) ? String(key) : nil
        case 3:
            let unique = parts[1].split(separator: "-", omittingEmptySubsequences: false)
            guard unique.count == 2, unique.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } }),
                  (["c", "so", "sum"] + binaryExtensions).contains(String(parts[2])) else { return nil }
            return String(key)
        default:
            return nil
        }
    }

    /// The compiled entries: file name, size in bytes, last modification; none where there is
    /// no cache.
    public func entries() -> [(name: String, bytes: Int, modified: Date)] {
        guard let folder = try? existingFolder(), let names = try? CacheFiles.names(in: folder.path) else { return [] }
        let isEntry = { (name: String) in
            let parts = name.split(separator: ".")
            return parts.count == 2 && (["so"] + Self.binaryExtensions).contains(String(parts[1])) && Self.entryKey(ofFileNamed: name) != nil
        }
        return names.filter(isEntry).map { name in
            var info = stat()
            let found = stat(folder.appendingPathComponent(name).path, &info) == 0
            let modified = Date(timeIntervalSince1970: found ? TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9 : 0)
            return (name.hasSuffix(".so") ? String(name.dropLast(3)) : name, found ? Int(info.st_size) : 0, modified)
        }.sorted { $0.modified > $1.modified }
    }

    /// Deletes every entry; returns how many files were removed.
    @discardableResult
    public func clear() throws -> Int {
        try clearEntries().removed
    }

    /// Deletes every entry of the cache's folder, each under its lock, and nothing else there
    /// (the marker stays, so the folder stays the cache's). An entry being compiled right now
    /// is left (`busy` counts them); deleting it would only make that compile redo its work.
    /// Throws without touching anything when ``directory`` is not a kernel cache.
    public func clearEntries() throws -> (removed: Int, busy: Int, folder: URL?) {
        guard let folder = try existingFolder() else { return (0, 0, nil) }
        var files: [String: [String]] = [:]
        for name in try CacheFiles.names(in: folder.path) {
            if let key = Self.entryKey(ofFileNamed: name) { files[key, default: []].append(name) }
        }
        var removed = 0, busy = 0
        for key in files.keys.sorted() {
            let lockPath = folder.appendingPathComponent("\(key).lock").path
            guard let lock = try EntryLock.acquireIfFree(lockPath) else {
                busy += 1
                continue
            }
            for name in files[key]! where !name.hasSuffix(".lock") {
                if try CacheFiles.remove(folder.appendingPathComponent(name).path) { removed += 1 }
            }
            // The lock file goes last, while held: a compile waiting on it then locks a new one.
            if lock.removeFile(), files[key]!.contains("\(key).lock") { removed += 1 }
        }
        return (removed, busy, folder)
    }
}
