import TheanoArray
import TheanoGraph

/// Where and how a compiled function's nodes run: a backend is a value in
/// ``CompileOptions/backend``.
///
/// ```swift
/// let f = try function([x], [y], options: CompileOptions(backend: .reference))
/// ```
///
/// - ``cpu``: the default. Generated C for elementwise and reduction nodes (fused, compiled
///   at run time), OpenBLAS for matrix products, nested programs for inner graphs, and each
///   op's reference `perform` for the rest (views, shape arithmetic, indexing).
/// - ``reference``: every node's reference `perform`: the plain definition of the graph.
///
/// Other backends plug in from their own modules by conforming to ``KernelBackend`` and
/// wrapping it: `Backend(MyBackend())`. The scheduler never names a concrete backend.
public struct Backend: Sendable, CustomStringConvertible {
    /// The implementation the scheduler asks for kernels.
    public let implementation: any KernelBackend

    public init(_ implementation: some KernelBackend) {
        self.implementation = implementation
    }

    /// The backend's name (`cpu`, `reference`, ...).
    public var name: String { implementation.name }

    public var description: String { name }

    /// Generated C, OpenBLAS and nested programs on the host (the default).
    public static var cpu: Backend { Backend(CPUBackend()) }

    /// Every node's reference `perform`.
    public static var reference: Backend { Backend(ReferenceBackend()) }

    /// The backend called `name`, or nil: `cpu` or `reference` (the older linker names `c`
    /// and `interpreter` are accepted too), or a name a ``BackendProvider`` linked into the
    /// process knows (`cuda`, `cuda:N`, `cuda-emulator` when `TheanoCUDA` is linked).
    public static func named(_ name: String) -> Backend? {
        switch name.lowercased() {
        case "cpu", "c": return .cpu
        case "reference", "interpreter": return .reference
        default:
            for provider in BackendProviders.linked {
                if let backend = provider.backend(named: name) { return backend }
            }
            return nil
        }
    }
}

/// A module above this one that defines backends (the CUDA backend in `TheanoCUDA`) and
/// names them, so that `THEANO_DEVICE=cuda` or `THEANO_BACKEND=cuda-emulator` can choose them
/// in any program that links the module, though this module cannot import it (layering:
/// `TheanoCUDA` depends on `TheanoCompile`).
public protocol BackendProvider {
    /// The names this provider answers to, for messages (`cuda`, `cuda:N`, ...).
    static var backendNames: [String] { get }

    /// The backend called `name`, or nil when the provider does not know the name.
    static func backend(named name: String) -> Backend?
}

/// The providers of the modules linked into this process, found at run time by their types'
/// mangled names in the Swift runtime's metadata (nothing is registered, so nothing is
/// mutable); a module that is not linked is simply absent.
enum BackendProviders {
    /// `TheanoCUDA.CUDABackendProvider` (checked by `BackendProviderTests`).
    static let knownTypeNames = ["10TheanoCUDA19CUDABackendProviderV"]

    static var linked: [any BackendProvider.Type] {
        knownTypeNames.compactMap { _typeByName($0) as? any BackendProvider.Type }
    }

    /// Every backend name accepted in this process, for messages.
    static var names: [String] {
        ["cpu", "reference"] + linked.flatMap { $0.backendNames }
    }
}

/// What a backend implements: given the nodes of a scheduled graph, one ``KernelChoice`` per
/// node.
///
/// The nodes come in run order, all at once, so a backend can compile them together (the CPU
/// backend generates one C translation unit for all its fused loops). Preparation happens once
/// per function; the kernels then run at every call. A backend keeps what must outlive the
/// preparation (loaded libraries) alive through ``LinkSession/retain(_:)``, and compiles
/// inner graphs of ops such as `OpFromGraph` with ``LinkSession/compile(_:)``.
public protocol KernelBackend: Sendable {
    /// A short name for reports and errors.
    var name: String { get }

    /// One choice per node of `nodes`, in the same order.
    func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice]

    /// `value` copied into the memory this backend's device kernels read (see
    /// ``Kernel/acceptsDeviceArrays``), or nil for a backend without a device (the default).
    ///
    /// The scheduler places a function's array inputs (at each call) and its array constants
    /// (once, when it is compiled) there when only such kernels read them, so each is copied
    /// once rather than by every kernel that reads it.
    func residentCopy(of value: NDArray) throws -> NDArray?
}

extension KernelBackend {
    public func residentCopy(of value: NDArray) throws -> NDArray? { nil }
}

/// The backend that runs every node's reference `perform`.
struct ReferenceBackend: KernelBackend {
    var name: String { "reference" }

    func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        nodes.map { _ in .reference }
    }
}
