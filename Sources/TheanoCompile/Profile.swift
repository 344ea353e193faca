import Dispatch
import Synchronization
import TheanoGraph

/// Time spent per node and per op type over the calls of a function compiled with
/// `CompileOptions(profile: true)`, plus where its compile time went.
public final class Profile: Sendable {
    private struct State {
        var calls = 0
        var callSeconds = 0.0
        var nodeSeconds: [Double]
        var nodeCalls: [Int]
    }

    /// One line per node of the schedule: its description, op type and implementation.
    let nodes: [(label: String, op: String, implementation: String)]
    private let state: Mutex<State>
    /// Compile-time breakdown, set once the function is built.
    let compile: Mutex<CompileStatistics?> = Mutex(nil)

    init(nodes: [(label: String, op: String, implementation: String)]) {
        self.nodes = nodes
        self.state = Mutex(State(nodeSeconds: Array(repeating: 0, count: nodes.count), nodeCalls: Array(repeating: 0, count: nodes.count)))
    }

    func record(call seconds: Double, nodes times: [Double]) {
        state.withLock { s in
            s.calls += 1
            s.callSeconds += seconds
            for (i, t) in times.enumerated() {
                s.nodeSeconds[i] += t
                s.nodeCalls[i] += 1
            }
        }
    }

    /// Forgets the calls recorded so far (the compile breakdown stays), so that a summary
    /// covers only the calls after, for example, warm-up calls that loaded kernels.
    public func reset() {
        state.withLock { s in
            s.calls = 0
            s.callSeconds = 0
            s.nodeSeconds = Array(repeating: 0, count: nodes.count)
            s.nodeCalls = Array(repeating: 0, count: nodes.count)
        }
    }

    /// Number of calls recorded.
    public var calls: Int { state.withLock { $0.calls } }

    /// Total seconds per op type (the op's description up to its first `{`), largest first.
    public var secondsByOpType: [(op: String, seconds: Double)] {
        let times = state.withLock { $0.nodeSeconds }
        var byOp: [String: Double] = [:]
        for (node, t) in zip(nodes, times) { byOp[node.op, default: 0] += t }
        return byOp.sorted { $0.value > $1.value }.map { ($0.key, $0.value) }
    }

    /// A readable table: calls, time per call, time per op type and the slowest nodes.
    public func summary(top: Int = 15) -> String {
        let s = state.withLock { $0 }
        var lines = ["Profile: \(s.calls) call\(s.calls == 1 ? "" : "s"), \(format(s.callSeconds / Double(Swift.max(s.calls, 1)))) per call"]
        if let c = compile.withLock({ $0 }) {
            lines.append("Compile: rewriting \(format(c.rewriteSeconds)), code generation \(format(c.codegenSeconds)), C compilation \(format(c.cCompileSeconds))\(c.ranCompiler ? "" : " (cached)"), \(c.nodeCount) nodes")
        }
        let total = s.nodeSeconds.reduce(0, +)
        lines.append("\nBy op type:")
        lines.append(pad("time", 12) + pad("%", 8) + "op")
        for (op, t) in secondsByOpType.prefix(top) {
            lines.append(pad(format(t / Double(Swift.max(s.calls, 1))), 12) + pad(String(format: "%.1f", 100 * t / Swift.max(total, 1e-12)), 8) + op)
        }
        lines.append("\nSlowest nodes:")
        let width = (nodes.map(\.implementation.count).max() ?? 0) + 2
        lines.append(pad("time", 12) + pad("%", 8) + pad("kernel", width) + "node")
        let order = s.nodeSeconds.indices.sorted { s.nodeSeconds[$0] > s.nodeSeconds[$1] }
        for i in order.prefix(top) {
            lines.append(pad(format(s.nodeSeconds[i] / Double(Swift.max(s.calls, 1))), 12)
                + pad(String(format: "%.1f", 100 * s.nodeSeconds[i] / Swift.max(total, 1e-12)), 8)
                + pad(nodes[i].implementation, width) + nodes[i].label)
        }
        return lines.joined(separator: "\n")
    }

    /// Prints ``summary(top:)``.
    public func printSummary(top: Int = 15) { print(summary(top: top)) }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

    private func format(_ t: Double) -> String {
        t < 1e-3 ? String(format: "%.1f µs", t * 1e6) : String(format: "%.3f ms", t * 1e3)
    }
}
