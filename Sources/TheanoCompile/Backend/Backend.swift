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

    /// The built-in backend called `name` (`cpu` or `reference`; the older linker names `c`
    /// and `interpreter` are accepted too), or nil.
    public static func named(_ name: String) -> Backend? {
        switch name.lowercased() {
        case "cpu", "c": return .cpu
        case "reference", "interpreter": return .reference
        default: return nil
        }
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
}

/// The backend that runs every node's reference `perform`.
struct ReferenceBackend: KernelBackend {
    var name: String { "reference" }

    func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        nodes.map { _ in .reference }
    }
}
