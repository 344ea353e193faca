import Foundation
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// The file operations of the kernel cache, as system calls whose failures become
/// ``TheanoError``s naming the path and the system's reason ("No space left on device",
/// "Not a directory"), never Foundation errors.
enum CacheFiles {
    /// The error for a failed system call on `path`; `errno` is read unless given.
    static func failure(_ action: String, _ path: String, errno code: Int32 = errno) -> TheanoError {
        TheanoError.io("C backend: cannot \(action) \(path): \(String(cString: strerror(code)))")
    }

    /// The file type bits of what `path` names, symlinks followed (`S_IFDIR`, `S_IFREG`, ...);
    /// nil when nothing is there.
    static func type(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    static func isFolder(_ path: String) -> Bool { type(path) == S_IFDIR }

    /// Creates `path` and its missing parents (mode 0755). A folder already there is fine;
    /// anything else there (a regular file) is an error saying so.
    static func makeFolder(_ path: String) throws {
        switch type(path) {
        case S_IFDIR: return
        case nil: break
        default:
            throw TheanoError.io("C backend: the kernel cache folder \(path) exists but is not a folder (a regular file?); "
                + "set THEANO_CACHE_DIR or CompileOptions.cacheDirectory to a folder")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, type(parent) == nil { try makeFolder(parent) }
        if mkdir(path, 0o755) != 0 {
            let code = errno
            if code == EEXIST, isFolder(path) { return }  // made by another process meanwhile
            if code == ENOTDIR {
                throw TheanoError.io("C backend: cannot create the kernel cache folder \(path): a part of that path is a file, "
                    + "not a folder; set THEANO_CACHE_DIR or CompileOptions.cacheDirectory to a folder")
            }
            throw failure("create the kernel cache folder", path, errno: code)
        }
    }

    /// The names in a folder, without `.` and `..`.
    static func names(in folder: String) throws -> [String] {
        guard let dir = opendir(folder) else { throw failure("list the folder", folder) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes `data` to `path`, replacing what is there. Errors (a full disk included, which may
    /// only show when the file is closed) name the path.
    static func write(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create", path) }
        var written = 0
        let error: Int32? = data.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return nil
        }
        let closed = close(fd) == 0 ? nil : errno
        if let code = error ?? closed { throw failure("write", path, errno: code) }
    }

    static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// The bytes of `path`; nil when there is no such file.
    static func read(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("open", path)
        }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// Removes a file; true when it was there.
    @discardableResult
    static func remove(_ path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw failure("delete", path)
    }
}

/// An exclusive `flock` on a cache entry's `<key>.lock` file, released when this value goes.
///
/// `clear` deletes a lock file while holding it, so a process that was waiting on it may wake up
/// holding a lock on a file no longer in the folder; ``acquire(_:)`` notices (the path no
/// longer names the locked file) and locks the file now there instead.
final class EntryLock {
    private let fd: Int32
    let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Locks `path`, creating the file if needed; waits while another process (or thread)
    /// holds it.
    static func acquire(_ path: String) throws -> EntryLock {
        try lock(path, wait: true)!
    }

    /// Locks `path` if nobody holds it; nil at once when somebody does.
    static func acquireIfFree(_ path: String) throws -> EntryLock? {
        try lock(path, wait: false)
    }

    private static func lock(_ path: String, wait: Bool) throws -> EntryLock? {
        while true {
            // Close-on-exec, so a compiler spawned meanwhile by another thread never inherits it.
            let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CacheFiles.failure("create the lock file", path) }
            var status: Int32
            repeat { status = flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) } while status != 0 && errno == EINTR
            if status != 0 {
                let code = errno
                close(fd)
                if code == EWOULDBLOCK { return nil }
                throw CacheFiles.failure("lock", path, errno: code)
            }
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_dev == current.st_dev, held.st_ino == current.st_ino {
                return EntryLock(fd: fd, path: path)
            }
            close(fd)  // the file was deleted while we waited: lock the one there now
        }
    }

    /// Deletes the lock file (still held, so whoever waits on it retries with a new one).
    func removeFile() -> Bool { unlink(path) == 0 }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
