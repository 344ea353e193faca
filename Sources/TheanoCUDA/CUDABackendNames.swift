import Synchronization
import TheanoArray
import TheanoCompile

extension Backend {
    /// The CUDA backend on GPU `ordinal` (0 for the first), through the driver API.
    ///
    /// The device is opened when the first function is compiled for it, so a program without a
    /// GPU can still name it; `function` then throws a `TheanoError` naming the library that
    /// was looked for and where, or the driver's failure.
    public static func cuda(_ ordinal: Int = 0) -> Backend {
        Backend(CUDABackend(ordinal: ordinal))
    }

    /// The CUDA backend on an ``EmulatedCUDADevice``: the generated CUDA C compiled as C and
    /// run on the CPU, for checking the CUDA path on machines without a GPU.
    public static var cudaEmulator: Backend {
        Backend(CUDABackend(device: EmulatedCUDADevice()))
    }
}

/// The names of the CUDA backends, for `THEANO_DEVICE` and `THEANO_BACKEND`:
/// `cuda` (the first GPU), `cuda:N` or `cudaN` (GPU `N`, Theano's `cuda0` spelling included)
/// and `cuda-emulator`.
public struct CUDABackendProvider: BackendProvider {
    public static var backendNames: [String] { ["cuda", "cuda:N", "cuda-emulator"] }

    public static func backend(named name: String) -> Backend? {
        let lowered = name.lowercased()
        if lowered == "cuda-emulator" || lowered == "cuda_emulator" { return .cudaEmulator }
        guard lowered.hasPrefix("cuda") else { return nil }
        var rest = lowered.dropFirst(4)
        if rest.isEmpty { return .cuda(0) }
        if rest.first == ":" { rest = rest.dropFirst() }
        guard let ordinal = Int(rest), ordinal >= 0 else { return nil }
        return .cuda(ordinal)
    }
}

extension CUDADriverDevice {
    /// The opened GPUs of this process, by ordinal: a device's context, allocations and
    /// modules are shared by every function compiled for it.
    private static let opened = Mutex<[Int: CachingCUDADevice]>([:])

    /// GPU `ordinal` behind its caching allocator, opened on first use and shared afterwards.
    ///
    /// - Throws: what ``init(ordinal:locator:)`` throws (no driver, no GPU, no such device);
    ///   a failure is not remembered, so a later call tries again.
    static func shared(ordinal: Int) throws -> CachingCUDADevice {
        if let device = opened.withLock({ $0[ordinal] }) { return device }
        let device = CachingCUDADevice(try CUDADriverDevice(ordinal: ordinal))
        return opened.withLock { table in
            if let existing = table[ordinal] { return existing }
            table[ordinal] = device
            return device
        }
    }
}
