import TheanoGraph

/// How every node of a compiled function runs: the implementation each backend chose, and
/// why a node has none (``Function/kernelReport``).
///
/// ```
/// backend cpu: 4 nodes (2 generated C, 1 OpenBLAS, 1 reference)
///   generated C   Composite{...}(float32[?], float32[?])
///   OpenBLAS      Gemm{N,N}(float32[?, 784], float32[], float32[?, 784], float32[784, 128], float32[])
///   reference     Shape(float32[?, 784])
/// ```
public struct KernelReport: Sendable, CustomStringConvertible {
    /// One node of the schedule.
    public struct Entry: Sendable {
        /// The node: its op and input types.
        public let node: String
        /// The op's type name (`Gemm`, `Composite`, ...).
        public let op: String
        public let kind: KernelChoice.Kind
        /// What runs it (`generated C`, `OpenBLAS`, `nested program`, `reference`, ...).
        public let implementation: String
        /// Why there is no kernel, or details.
        public let note: String?
        /// The reports of the node's nested programs.
        public let nested: [KernelReport]
    }

    /// The backend's name.
    public let backend: String
    /// One entry per node, in run order.
    public let entries: [Entry]
    /// What the scheduler places in device memory for the backend's device kernels (see
    /// ``KernelBackend/residentCopy(of:)``): the inputs copied there at each call and the
    /// constants copied there once. Empty on a host backend.
    public var placedOnDevice: [String] = []

    /// How many nodes run on `implementation`.
    public func count(_ implementation: String) -> Int {
        entries.filter { $0.implementation == implementation }.count
    }

    /// The nodes the backend has no implementation for (they run on the reference).
    public var missing: [Entry] { entries.filter { $0.kind == .missing } }

    public var description: String { lines(indent: "").joined(separator: "\n") }

    private func lines(indent: String) -> [String] {
        var counts: [(String, Int)] = []
        for e in entries {
            if let i = counts.firstIndex(where: { $0.0 == e.implementation }) { counts[i].1 += 1 } else { counts.append((e.implementation, 1)) }
        }
        let summary = counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        var out = ["\(indent)backend \(backend): \(entries.count) node\(entries.count == 1 ? "" : "s")\(entries.isEmpty ? "" : " (\(summary))")"]
        if !placedOnDevice.isEmpty { out.append("\(indent)  on the device: \(placedOnDevice.joined(separator: "; "))") }
        let width = (entries.map(\.implementation.count).max() ?? 0) + 2
        for e in entries {
            let pad = String(repeating: " ", count: Swift.max(0, width - e.implementation.count))
            out.append("\(indent)  \(e.implementation)\(pad)\(e.node)")
            if let note = e.note { out.append("\(indent)    note: \(note)") }
            for inner in e.nested { out += inner.lines(indent: indent + "    ") }
        }
        return out
    }
}
