import TheanoArray
import TheanoGraph

/// A parsed `einsum` specification: one label list per operand and the output's labels.
///
/// Labels are the letters `a-z`, `A-Z`; an ellipsis (`...`) in an operand stands for its
/// axes not named by letters, aligned from the right across operands (broadcasting), and is
/// expanded into one private label per axis (``ellipsisLabel(_:)``). Without `->` the output
/// is NumPy's implicit one: the ellipsis axes, then the letters used exactly once, in
/// alphabetical order.
struct EinsumSubscripts: Equatable {
    /// The labels of each operand's axes, in axis order.
    var inputs: [[Character]]
    /// The output's labels, in axis order.
    var output: [Character]

    /// The label of the ellipsis axis `k` places from the right (`k = 0` is the last one).
    static func ellipsisLabel(_ k: Int) -> Character {
        Character(Unicode.Scalar(0xE000 + k) ?? "?")
    }

    /// Whether `label` stands for an ellipsis axis.
    static func isEllipsis(_ label: Character) -> Bool {
        label.unicodeScalars.first.map { $0.value >= 0xE000 && $0.value < 0xF000 } ?? false
    }

    /// Parses `subscripts` for operands of the given ranks. Throws `invalidArgument` naming
    /// the problem and the subscripts for anything malformed.
    init(_ subscripts: String, ranks: [Int]) throws {
        func fail(_ problem: String) -> TheanoError {
            TheanoError.invalidArgument("einsum: \(problem) in subscripts \"\(subscripts)\"")
        }
        let text = subscripts.filter { !$0.isWhitespace }
        let sides = text.components(separatedBy: "->")
        guard sides.count <= 2 else { throw fail("'->' appears more than once") }
        let terms = sides[0].components(separatedBy: ",")
        guard terms.count == ranks.count else {
            throw fail("\(terms.count) operand term\(terms.count == 1 ? "" : "s") for \(ranks.count) operand\(ranks.count == 1 ? "" : "s")")
        }
        var ellipsisRank = 0
        var inputs: [[Character]] = []
        for (position, (term, rank)) in zip(terms, ranks).enumerated() {
            let (letters, hasEllipsis) = try Self.letters(of: term, fail: fail)
            let named = letters.filter { $0 != "." }.count
            if hasEllipsis {
                guard named <= rank else {
                    throw fail("operand \(position) has rank \(rank) but its term \"\(term)\" names \(named) axes")
                }
                let extra = rank - named
                ellipsisRank = Swift.max(ellipsisRank, extra)
                var expanded: [Character] = []
                for c in letters {
                    if c == "." {
                        expanded += (0..<extra).reversed().map(Self.ellipsisLabel)
                    } else {
                        expanded.append(c)
                    }
                }
                inputs.append(expanded)
            } else {
                guard named == rank else {
                    throw fail("operand \(position) has rank \(rank) but its term \"\(term)\" names \(named) axes (use '...' for the others)")
                }
                inputs.append(letters)
            }
        }
        let ellipsisLabels = (0..<ellipsisRank).reversed().map(Self.ellipsisLabel)
        var output: [Character]
        if sides.count == 2 {
            let (letters, hasEllipsis) = try Self.letters(of: sides[1], fail: fail)
            output = []
            for c in letters {
                if c == "." { output += ellipsisLabels } else { output.append(c) }
            }
            if !hasEllipsis && ellipsisRank > 0 {
                throw fail("the operands have axes under '...' but the output has no '...' to put them")
            }
            let letterOutput = output.filter { !Self.isEllipsis($0) }
            guard Set(letterOutput).count == letterOutput.count else { throw fail("the output names an index more than once") }
            let used = Set(inputs.joined())
            if let missing = letterOutput.first(where: { !used.contains($0) }) {
                throw fail("the output index '\(missing)' appears in no operand")
            }
        } else {
            var counts: [Character: Int] = [:]
            for c in inputs.joined() where !Self.isEllipsis(c) { counts[c, default: 0] += 1 }
            output = ellipsisLabels + counts.filter { $0.value == 1 }.keys.sorted()
        }
        self.inputs = inputs
        self.output = output
    }

    /// The letters of one term with each `...` as a single "." placeholder, and whether it had one.
    private static func letters(of term: String, fail: (String) -> TheanoError) throws -> ([Character], Bool) {
        var result: [Character] = []
        var hasEllipsis = false
        var rest = Substring(term)
        while let c = rest.first {
            if c == "." {
                guard rest.hasPrefix("...") else { throw fail("a '.' that is not part of '...'") }
                guard !hasEllipsis else { throw fail("'...' appears twice in the term \"\(term)\"") }
                hasEllipsis = true
                result.append(".")
                rest = rest.dropFirst(3)
                continue
            }
            guard c.isASCII, c.isLetter else { throw fail("'\(c)' is not an index letter (a-z, A-Z)") }
            result.append(c)
            rest = rest.dropFirst()
        }
        return (result, hasEllipsis)
    }
}
