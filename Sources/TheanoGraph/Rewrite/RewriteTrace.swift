/// A record of every rewrite applied while optimising a graph: which rule, what it replaced
/// and by what, as readable expression text. Tests and debugging read it.
public final class RewriteTrace {
    public struct Entry: CustomStringConvertible {
        public let rewrite: String
        public let before: String
        public let after: String
        public var description: String { "\(rewrite): \(before) -> \(after)" }
    }

    public private(set) var entries: [Entry] = []
    /// Rules that threw (and so did not apply), in order.
    public private(set) var failures: [RewriteFailureLog.Entry] = []

    public init() {}

    /// Records that `rewrite` replaced `before` by `after` (drivers and whole-graph passes call it).
    public func record(_ rewrite: String, before: Variable, after: Variable) {
        entries.append(Entry(rewrite: rewrite, before: expressionText(before, depth: 3), after: expressionText(after, depth: 3)))
    }

    /// Records a rule that threw.
    func recordFailure(_ entry: RewriteFailureLog.Entry) {
        failures.append(entry)
    }

    /// The names of the rules applied, in order.
    public var appliedRewrites: [String] { entries.map(\.rewrite) }

    /// How many times each rule applied.
    public var counts: [String: Int] {
        entries.reduce(into: [:]) { $0[$1.rewrite, default: 0] += 1 }
    }
}
