import Foundation
import TheanoArray

/// The NVIDIA libraries the CUDA backend uses, loaded at run time with `dlopen`: nothing CUDA
/// is linked when the package builds, so it builds and its tests pass on machines without
/// CUDA, and a GPU machine needs only the libraries (no toolkit headers).
public enum CUDALibrary: String, CaseIterable, Sendable {
    /// The driver API (`libcuda.so.1`), installed with the GPU driver.
    case driver
    /// NVRTC, CUDA C compiled to device code at run time (no GPU needed to compile).
    case nvrtc
    /// cuBLAS (GEMM and batched GEMM).
    case cublas
    /// cuDNN (convolution, pooling, batch norm), optional.
    case cudnn

    /// The file names tried, newest major version first.
    public var fileNames: [String] {
        switch self {
        case .driver: ["libcuda.so.1"]
        case .nvrtc: ["libnvrtc.so.13", "libnvrtc.so.12"]
        case .cublas: ["libcublas.so.13", "libcublas.so.12"]
        case .cudnn: ["libcudnn.so.9", "libcudnn.so.8"]
        }
    }

    /// The folder of the `nvidia-*` Python wheel that ships the library, under `nvidia/`
    /// (`nvidia-cuda-nvrtc-cu12` unpacks to `nvidia/cuda_nvrtc/lib`); nil for the driver.
    public var wheelFolder: String? {
        switch self {
        case .driver: nil
        case .nvrtc: "cuda_nvrtc"
        case .cublas: "cublas"
        case .cudnn: "cudnn"
        }
    }
}

/// A library opened with `dlopen`, kept open for the life of the process (function pointers
/// taken from it stay valid).
public final class LoadedLibrary: @unchecked Sendable {
    public let library: CUDALibrary
    /// The path or file name it was opened by.
    public let path: String
    private let handle: UnsafeMutableRawPointer

    init(library: CUDALibrary, path: String, handle: UnsafeMutableRawPointer) {
        self.library = library
        self.path = path
        self.handle = handle
    }

    /// The function `name`, as a C function pointer of type `T`.
    ///
    /// - Throws: `TheanoError.unsupported` naming the library and the symbol when it is absent
    ///   (a library older than the backend needs).
    public func function<T>(_ name: String, as _: T.Type) throws -> T {
        guard let pointer = dlsym(handle, name) else {
            throw TheanoError.unsupported("CUDA: \(path) has no function \(name); the backend needs a newer \(library.rawValue) library")
        }
        return unsafeBitCast(pointer, to: T.self)
    }
}

/// Where the CUDA libraries are looked for, in order:
/// 1. each folder of `THEANO_CUDA_PATH` (colon-separated; each folder, its `lib64` and its
///    `lib`);
/// 2. the `nvidia-*` wheels unpacked into the cache folder (`./run.sh test` puts NVRTC's there
///    on machines without CUDA): `$XDG_CACHE_HOME/theano-swift/cuda-wheels` or
///    `~/.cache/theano-swift/cuda-wheels`, then `nvidia/<wheel folder>/lib`;
/// 3. `CUDA_HOME` or `/usr/local/cuda` (`lib64`);
/// 4. the system's library path (`dlopen` of the bare file name: `ldconfig`'s cache,
///    `LD_LIBRARY_PATH`).
public struct CUDALibraryLocator: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The cache folder that holds unpacked `nvidia-*` wheels.
    public var wheelCache: String {
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        return base + "/theano-swift/cuda-wheels"
    }

    /// The folders searched for `library` before the system path, in order.
    public func folders(for library: CUDALibrary) -> [String] {
        var out: [String] = []
        for root in (environment["THEANO_CUDA_PATH"] ?? "").split(separator: ":").map(String.init) where !root.isEmpty {
            out += [root, root + "/lib64", root + "/lib"]
        }
        if let wheel = library.wheelFolder { out.append(wheelCache + "/nvidia/" + wheel + "/lib") }
        out.append((environment["CUDA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/cuda") + "/lib64")
        return out
    }

    /// Opens `library`: the first of its file names found in ``folders(for:)``, else by file
    /// name on the system path.
    ///
    /// - Throws: `TheanoError.unsupported` listing every file name and folder tried, with
    ///   `dlerror`'s last message, and how to point the backend at the library.
    public func load(_ library: CUDALibrary) throws -> LoadedLibrary {
        var tried: [String] = []
        var lastError = ""
        func open(_ path: String) -> LoadedLibrary? {
            tried.append(path)
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                if let e = dlerror() { lastError = String(cString: e) }
                return nil
            }
            return LoadedLibrary(library: library, path: path, handle: handle)
        }
        for folder in folders(for: library) {
            for name in library.fileNames where FileManager.default.fileExists(atPath: folder + "/" + name) {
                if let loaded = open(folder + "/" + name) { return loaded }
            }
        }
        for name in library.fileNames {
            if let loaded = open(name) { return loaded }
        }
        let folders = folders(for: library).joined(separator: ", ")
        throw TheanoError.unsupported(
            "CUDA: cannot load the \(library.rawValue) library: looked for \(library.fileNames.joined(separator: " or ")) in \(folders) and on the system library path (last error: \(lastError.isEmpty ? "not found" : lastError)); set THEANO_CUDA_PATH to the folder that holds it\(library.wheelFolder.map { ", or unpack the nvidia-\($0.replacingOccurrences(of: "_", with: "-"))-cu12 wheel into \(wheelCache)" } ?? "")")
    }
}
