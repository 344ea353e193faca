import Theano
import XCTest

/// einsum on random subscripts against a brute-force sum over every index assignment.
final class EinsumPropertyTests: BackendTestCase {
    /// A small deterministic generator (SplitMix64).
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Int(z % UInt64(n))
        }
    }

    func testRandomSubscriptsAgainstBruteForce() throws {
        var g = Generator(state: 15)
        var data = TestData(seed: 16)
        let letters: [Character] = ["a", "b", "c", "d"]
        for trial in 0..<40 {
            var size: [Character: Int] = [:]
            for l in letters { size[l] = 1 + g.next(3) }
            let operandCount = 1 + g.next(3)
            var terms: [[Character]] = []
            for _ in 0..<operandCount {
                terms.append((0..<g.next(4)).map { _ in letters[g.next(letters.count)] })
            }
            let used = Array(Set(terms.joined())).sorted()
            let implicit = g.next(3) == 0
            var output: [Character] = []
            if !implicit {
                output = used.filter { _ in g.next(2) == 0 }
                for i in output.indices.reversed() { output.swapAt(i, g.next(i + 1)) }
            } else {
                output = used.filter { l in terms.joined().filter { $0 == l }.count == 1 }
            }
            let spec = terms.map { String($0) }.joined(separator: ",") + (implicit ? "" : "->" + String(output))
            let values = terms.map { t in data.array(t.map { size[$0] ?? 1 }) }
            let inputs = values.enumerated().map { symbolic("x\($0.offset)", like: $0.element, fixed: trial % 2 == 0) }
            let result = try evaluate(einsum(spec, inputs), inputs, values)
            let expected = try bruteForce(terms, output, used, size, values)
            assertClose(result, expected, rtol: 1e-10, atol: 1e-10, "einsum \"\(spec)\" with sizes \(size)")
        }
    }

    /// The sum over every assignment of the used letters of the product of the operands'
    /// elements, accumulated at the output letters' position.
    private func bruteForce(_ terms: [[Character]], _ output: [Character], _ used: [Character],
                            _ size: [Character: Int], _ values: [NDArray]) throws -> NDArray {
        let outShape = output.map { size[$0] ?? 1 }
        var out = Array(repeating: 0.0, count: outShape.reduce(1, *))
        let flat = values.map(\.doubles)
        for assignment in allIndices(used.map { size[$0] ?? 1 }) {
            var at: [Character: Int] = [:]
            for (l, i) in zip(used, assignment) { at[l] = i }
            var product = 1.0
            for (t, v) in zip(terms, flat) {
                let shape = t.map { size[$0] ?? 1 }
                var offset = 0
                for (l, n) in zip(t, shape) { offset = offset * n + (at[l] ?? 0) }
                product *= v[offset]
            }
            var position = 0
            for (l, n) in zip(output, outShape) { position = position * n + (at[l] ?? 0) }
            out[position] += product
        }
        return try NDArray(out, shape: outShape)
    }
}
