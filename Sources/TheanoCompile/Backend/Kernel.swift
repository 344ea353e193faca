import TheanoArray
import TheanoGraph

/// A node's implementation on a backend: prepared once when a function is compiled, run at
/// every call.
///
/// The scheduler (``Function``'s program) holds kernels only through this protocol. A kernel
/// receives the node it implements (for its static types and for error messages), the input
/// values, and a ``KernelContext`` with the function's buffer recycler and thread pool; it
/// returns one value per output. It must be safe to run from several threads at once (a
/// compiled function may be called concurrently), so it keeps no per-call state.
///
/// ```swift
/// struct NegateKernel: Kernel {
///     func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
///         [try node.op.perform(node, inputs)[0]]
///     }
/// }
/// ```
public protocol Kernel: Sendable {
    /// Computes the node's outputs from its input values.
    ///
    /// A kernel may overwrite an input only when the node's op declares it in its
    /// `destroyMap`. Run-time problems (sizes that disagree, an index out of range) are thrown
    /// as ``TheanoError``s.
    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray]

    /// Whether the kernel takes inputs whose elements live in device memory
    /// (``NDArray/isOnDevice``) and may return such outputs. The scheduler copies a device
    /// input to the host before running a kernel that does not (the default), and returns
    /// only host arrays from a call, so host code never reads device memory. A kernel that
    /// takes device arrays writes its results into new arrays: it never overwrites a device
    /// input, even when its op's `destroyMap` allows it (so a call that fails leaves a shared
    /// variable's device value as it was).
    var acceptsDeviceArrays: Bool { get }

    /// Whether the kernel reads input `index` of `node` where it is in device memory (so the
    /// scheduler may place that input on the device), rather than on the host (an index, a
    /// size, a scalar it copies back first). The default is ``acceptsDeviceArrays``.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool
}

extension Kernel {
    public var acceptsDeviceArrays: Bool { false }
    public func readsOnDevice(input index: Int, of node: Apply) -> Bool { acceptsDeviceArrays }
}

extension Array where Element == NDArray {
    /// Copies every element that lives in device memory to the host (see
    /// ``NDArray/onHost()``); host arrays stay as they are.
    mutating func bringToHost() throws {
        for i in indices where self[i].isOnDevice { self[i] = try self[i].onHost() }
    }
}

/// What a kernel may use while it runs.
public struct KernelContext: Sendable {
    /// Storage reused across nodes and calls: allocate outputs here.
    public let buffers: BufferRecycler
    /// The thread pool for large loops (nil: run on the calling thread only).
    public let pool: ThreadPool?

    public init(buffers: BufferRecycler, pool: ThreadPool?) {
        self.buffers = buffers
        self.pool = pool
    }
}

/// The kernel that runs a node's reference `perform`: what runs when a backend has no kernel
/// of its own for a node.
struct ReferenceKernel: Kernel {
    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        try node.op.perform(node, inputs)
    }
}

/// A kernel that overwrites an input (its op's `destroyMap`) and can tell, before writing
/// anything, that it will succeed.
///
/// The scheduler runs the kernels of in-place updates of shared variables only after every
/// check of the call has passed, so that a call that throws changes no shared variable. It
/// first calls ``validate(_:_:)``; after that returns, ``Kernel/run(_:_:_:)`` with the same
/// inputs must not throw. A kernel that does not conform runs on a private copy of the
/// variable instead (correct, but it copies).
public protocol InPlaceKernel: Kernel {
    /// Throws every error that ``Kernel/run(_:_:_:)`` could throw for these inputs, without
    /// writing anything.
    func validate(_ node: Apply, _ inputs: [NDArray]) throws
}
