/// The greedy contraction order of `einsum` (opt_einsum's greedy strategy, simplified): while
/// more than one operand is left, contract the pair whose result is smallest, preferring pairs
/// that share an index (so no outer product is formed while a contraction is possible); the
/// result replaces the pair at the end of the list. Sizes unknown until run time count as
/// ``unknownSize``.
struct EinsumPath {
    /// The size assumed for an axis whose size is not static.
    static let unknownSize = 64.0

    /// The pairs contracted, as positions in the operand list of the moment (the contracted
    /// pair is removed and its result appended), opt_einsum's path format.
    var steps: [(Int, Int)] = []

    /// Plans the contractions of operands with the given labels, keeping `output`'s labels;
    /// `size` gives each label's size.
    init(labels: [[Character]], output: [Character], size: (Character) -> Double) {
        var terms = labels.map { Set($0) }
        while terms.count > 1 {
            var best: (i: Int, j: Int, shares: Bool, cost: Double)?
            for i in 0..<terms.count {
                for j in (i + 1)..<terms.count {
                    let kept = Self.keptLabels(terms, i, j, output: output)
                    let cost = kept.reduce(1.0) { $0 * size($1) }
                    let shares = !terms[i].isDisjoint(with: terms[j])
                    if let b = best, (b.shares && !shares) || (b.shares == shares && b.cost <= cost) { continue }
                    best = (i, j, shares, cost)
                }
            }
            guard let best else { break }
            let kept = Self.keptLabels(terms, best.i, best.j, output: output)
            terms.remove(at: best.j)
            terms.remove(at: best.i)
            terms.append(kept)
            steps.append((best.i, best.j))
        }
    }

    /// The labels the contraction of operands `i` and `j` keeps: those the output or another
    /// operand still needs.
    static func keptLabels(_ terms: [Set<Character>], _ i: Int, _ j: Int, output: [Character]) -> Set<Character> {
        var needed = Set(output)
        for (k, t) in terms.enumerated() where k != i && k != j { needed.formUnion(t) }
        return terms[i].union(terms[j]).intersection(needed)
    }
}
