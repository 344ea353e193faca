import Theano
import XCTest

/// Reductions of random arrays of several shapes (sizes 0 and 1, non-contiguous views) against
/// a naive reference written here with explicit index loops.
final class ReduceRandomTests: BackendTestCase {
    let shapes: [[Int]] = [[], [1], [6], [0], [3, 1], [1, 4], [3, 4], [0, 2], [2, 3, 4], [2, 1, 3], [3, 0, 2]]
    let dtypes: [DType] = [.float64, .float32, .int32, .int8, .uint8, .bool]

    func testReduceMatchesNaiveReference() throws {
        var data = TestData(seed: 11)
        for shape in shapes {
            for dtype in dtypes {
                let values = [data.array(shape, dtype), try data.nonContiguous(shape, dtype)]
                for value in values {
                    for axes in axisChoices(rank: shape.count) {
                        for kind in ReduceKind.allCases {
                            let x = Tensor.variable("x", dtype, shape: shape.map { _ in nil })
                            let what = "\(kind) of \(dtype)\(formatShape(shape)) strides \(value.strides) over \(axes)"
                            if !kind.hasIdentity && axes.contains(where: { shape[$0] == 0 }) { continue }
                            for keepdims in [false, true] {
                                let y = try Reduce(kind, axes: axes, keepdims: keepdims).apply([x])
                                let result = try evaluate(y, [x], [value])
                                let expected = naiveReduce(kind, value, axes: axes, keepdims: keepdims)
                                assertClose(result, expected, rtol: dtype == .float32 ? 1e-5 : 1e-12, what)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reductions whose inputs are contiguous only along trailing reduced axes (a batch-norm
    /// sum over N, H, W of NCHW; a sliced matrix summed whole): the generated kernels read
    /// such runs with their vectorised loop, including runs cut by the 16 fixed parts of a
    /// single-output reduction and runs whose length is not a multiple of 16.
    func testReductionsOverContiguousRunsOfStridedInputs() throws {
        var data = TestData(seed: 13)
        // (stored shape, slices keeping a view, reduced axes)
        let cases: [([Int], [ArrayIndex], [Int])] = [
            ([3, 5, 7, 9], [], [0, 2, 3]),
            ([4, 6, 5, 40], [], [0, 2, 3]),
            ([2, 3, 40], [], [0, 2]),
            ([401, 64], [.all, .slice(start: 0, stop: 50, step: nil)], [0, 1]),
            ([33, 3, 70], [.all, .slice(start: 1, stop: 3, step: nil), .all], [0, 2]),
            ([5, 300, 3], [.all, .all, .index(1)], [0, 1]),
        ]
        for (stored, slices, axes) in cases {
            for dtype in [DType.float64, .float32, .int32] {
                let full = data.array(stored, dtype)
                let value = slices.isEmpty ? full : try full.slice(slices)
                let x = Tensor.variable("x", dtype, shape: value.shape.map { _ in nil })
                for kind in [ReduceKind.sum, .max, .min] {
                    let what = "\(kind) of \(dtype)\(formatShape(value.shape)) strides \(value.strides) over \(axes)"
                    let result = try evaluate(try Reduce(kind, axes: axes, keepdims: false).apply([x]), [x], [value])
                    assertClose(result, naiveReduce(kind, value, axes: axes, keepdims: false), rtol: dtype == .float32 ? 1e-4 : 1e-10, what)
                }
            }
        }
    }

    func testArgReduceMatchesNaiveReference() throws {
        var data = TestData(seed: 12)
        for shape in shapes where !shape.contains(0) {
            for dtype in dtypes {
                // Few distinct values, so ties are common.
                let values = [data.array(shape, dtype, low: -2, high: 2), try data.nonContiguous(shape, dtype, low: -2, high: 2)]
                for value in values {
                    let x = Tensor.variable("x", dtype, shape: shape.map { _ in nil })
                    for kind in ArgReduceKind.allCases {
                        let axes: [Int?] = [nil] + (0..<shape.count).map { $0 }
                        for axis in axes {
                            for keepdims in [false, true] {
                                let what = "\(kind) of \(dtype)\(formatShape(shape)) strides \(value.strides) axis \(axis.map(String.init) ?? "nil")"
                                let result = try evaluate(try ArgReduce(kind, axis: axis, keepdims: keepdims).apply([x]), [x], [value])
                                let expected = try naiveArgReduce(kind, value, axis: axis, keepdims: keepdims)
                                XCTAssertEqual(result, expected, what)
                            }
                        }
                    }
                }
            }
        }
    }

    /// nil, none, each single axis, the first and last, and all, as normalised axes.
    private func axisChoices(rank: Int) -> [[Int]] {
        var choices: [[Int]] = [[], Array(0..<rank)]
        choices += (0..<rank).map { [$0] }
        if rank >= 3 { choices.append([0, rank - 1]) }
        return choices
    }

    /// Every multi-index of `shape` in C order.
    private func indices(_ shape: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for n in shape {
            result = result.flatMap { prefix in (0..<n).map { prefix + [$0] } }
        }
        return result
    }

    private func naiveReduce(_ kind: ReduceKind, _ a: NDArray, axes: [Int], keepdims: Bool) -> NDArray {
        let kept = a.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        var groups: [[Int]: [Double]] = [:]
        var integerGroups: [[Int]: [Int64]] = [:]
        for index in indices(a.shape) {
            let key = index.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
            groups[key, default: []].append((try? a.element(index, as: Double.self)) ?? .nan)
            integerGroups[key, default: []].append((try? a.element(index, as: Int64.self)) ?? 0)
        }
        let outShape = keepdims ? kept : a.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        if !a.dtype.isFloatingPoint && (kind == .sum || kind == .prod) {
            // Exact, wrapping int64 arithmetic.
            let out: [Int64] = indices(kept).map { key in
                let g = integerGroups[key] ?? []
                return kind == .sum ? g.reduce(0, &+) : g.reduce(1, &*)
            }
            return (try? NDArray(out, shape: outShape)) ?? NDArray(out)
        }
        let outValues: [Double] = indices(kept).map { key in
            let g = groups[key] ?? []
            switch kind {
            case .sum: return g.reduce(0, +)
            case .prod: return g.reduce(1, *)
            case .max: return g.reduce(-Double.infinity) { Swift.max($0, $1) }
            case .min: return g.reduce(Double.infinity) { Swift.min($0, $1) }
            case .all: return g.allSatisfy { $0 != 0 } ? 1 : 0
            case .any: return g.contains { $0 != 0 } ? 1 : 0
            }
        }
        let result = (try? NDArray(outValues, shape: outShape)) ?? NDArray(outValues)
        return result.astype(kind.outputDType(for: a.dtype))
    }

    private func naiveArgReduce(_ kind: ArgReduceKind, _ a: NDArray, axis: Int?, keepdims: Bool) throws -> NDArray {
        guard let axis else {
            let flat = a.doubles
            var best = 0
            for (i, v) in flat.enumerated() where kind == .argmax ? v > flat[best] : v < flat[best] { best = i }
            return try NDArray([Int64(best)], shape: keepdims ? Array(repeating: 1, count: a.rank) : [])
        }
        var kept = a.shape
        kept[axis] = 1
        let out: [Int64] = try indices(kept).map { start in
            var best = 0
            var bestValue = try a.element(start, as: Double.self)
            for k in 0..<a.shape[axis] {
                var index = start
                index[axis] = k
                let v = try a.element(index, as: Double.self)
                if kind == .argmax ? v > bestValue : v < bestValue { best = k; bestValue = v }
            }
            return Int64(best)
        }
        var dropped = a.shape
        dropped.remove(at: axis)
        return try NDArray(out, shape: keepdims ? kept : dropped)
    }
}
