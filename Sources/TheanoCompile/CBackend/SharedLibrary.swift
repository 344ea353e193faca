import Foundation
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// A shared object loaded with `dlopen`, closed when no compiled function uses it any more.
package final class SharedLibrary: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    package let path: String

    /// Loads the file at `path`; `name` (default `path`) is the path messages give, for a
    /// library loaded under a temporary name before it is moved to its place.
    init(path: String, name: String? = nil) throws {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw TheanoError.io("C backend: cannot load \(path): \(reason)")
        }
        self.handle = handle
        self.path = name ?? path
    }

    /// The address of a function in the library.
    package func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
        guard let p = dlsym(handle, name) else {
            throw TheanoError.io("C backend: \(path) has no symbol \(name)")
        }
        return p
    }

    deinit { dlclose(handle) }
}
