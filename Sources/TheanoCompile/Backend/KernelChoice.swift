import TheanoGraph

/// A backend's answer for one node: a kernel of its own, the op's reference implementation
/// (a host backend may run `perform` by design), or nothing.
///
/// Every node's choice is recorded in the function's ``KernelReport``. A node without an
/// implementation (``missing(_:)``) still runs, on its reference `perform`, unless the
/// function is compiled with ``CompileOptions/strict``, which makes it a compile-time error
/// naming the op and the reason.
public struct KernelChoice: Sendable {
    public enum Kind: Sendable, Equatable {
        /// The backend's own kernel runs the node.
        case kernel
        /// The op's reference `perform` is the backend's implementation (views, shape
        /// arithmetic and other ops a host backend has no faster code for).
        case reference
        /// The backend has no implementation; the reference runs as a fallback.
        case missing
    }

    public let kind: Kind
    /// The kernel (nil for ``Kind/reference`` and ``Kind/missing``).
    public let kernel: (any Kernel)?
    /// What runs the node, for people: `generated C`, `OpenBLAS`, `nested program`,
    /// `reference`, ...
    public let implementation: String
    /// Why there is no kernel (a failed C compile, an unsupported dtype), or details.
    public internal(set) var note: String?
    /// The reports of nested programs the kernel runs (inner graphs).
    public let nested: [KernelReport]
    /// The final choice still being prepared, if any (see ``KernelUpgrade``).
    public internal(set) var upgrade: (KernelUpgrade, key: Int)? = nil

    /// The backend's own kernel, described by `implementation`.
    public static func kernel(_ kernel: any Kernel, implementation: String, note: String? = nil,
                              nested: [KernelReport] = []) -> KernelChoice {
        KernelChoice(kind: .kernel, kernel: kernel, implementation: implementation, note: note, nested: nested, upgrade: nil)
    }

    /// The op's reference `perform` runs the node by design.
    public static let reference = KernelChoice(kind: .reference, kernel: nil, implementation: "reference", note: nil, nested: [], upgrade: nil)

    /// The op's reference `perform` runs the node by design, called by `kernel` (which, for
    /// instance, passes it arrays in device memory whose header is all it reads).
    public static func reference(running kernel: any Kernel) -> KernelChoice {
        KernelChoice(kind: .reference, kernel: kernel, implementation: "reference", note: nil, nested: [], upgrade: nil)
    }

    /// No implementation on this backend, because of `reason`.
    public static func missing(_ reason: String) -> KernelChoice {
        KernelChoice(kind: .missing, kernel: nil, implementation: "reference (fallback)", note: reason, nested: [], upgrade: nil)
    }
}

extension KernelChoice {
    /// This choice for now, replaced by the final choice for `key` when `upgrade` completes.
    public func upgrading(_ upgrade: KernelUpgrade, key: Int) -> KernelChoice {
        var choice = self
        choice.upgrade = (upgrade, key)
        return choice
    }
}

extension KernelChoice {
    /// A kernel that runs while the backend prepares the final one (see ``upgrading(_:key:)``);
    /// reported with `implementation` and counted as the reference (it is a stand-in).
    public static func kernelWhileCompiling(_ kernel: any Kernel, implementation: String) -> KernelChoice {
        KernelChoice(kind: .reference, kernel: kernel, implementation: implementation, note: nil, nested: [], upgrade: nil)
    }
}
