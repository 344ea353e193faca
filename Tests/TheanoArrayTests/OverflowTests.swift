import Foundation
import TheanoArray
import XCTest

/// Sizes, strides and byte counts that overflow `Int` or exceed memory are `TheanoError`s that
/// name the operation and the sizes, never traps: the checked arithmetic itself, then every
/// creator, view, parser and kernel that computes a size, fed random huge, negative and zero
/// sizes.
final class OverflowTests: XCTestCase {
    /// Sizes around the edges: zero, small, around 2^32, the limit 2^60, `Int.max`, negatives.
    static let edgeSizes = [0, 1, 2, 3, 1 << 31, 1 << 32, 1 << 40, (1 << 60) - 1, 1 << 60, 1 << 62, Int.max, -1, -3, Int.min]

    /// What a shape should give: an error kind with words of its message, or the byte count.
    enum Expected: Equatable {
        case negative, tooMany, outOfMemory
        case bytes(Int)
    }

    /// The expected outcome for `shape` of `byteSize`-byte elements, computed independently
    /// of the library (in floating point).
    static func expected(_ shape: [Int], byteSize: Int = 4) -> Expected {
        if shape.contains(where: { $0 < 0 }) { return .negative }
        // The product of the non-zero sizes, in full-width (128-bit) products.
        var extent: UInt = 1
        for n in shape where n != 0 {
            let (high, low) = extent.multipliedFullWidth(by: UInt(n))
            if high != 0 || low > UInt(maxElementCount) { return .tooMany }
            extent = low
        }
        if shape.contains(0) { return .bytes(0) }
        let bytes = Int(extent) * byteSize
        return bytes > ArrayStorage.maxByteCount ? .outOfMemory : .bytes(bytes)
    }

    /// Random shapes of rank 0 to 4 over ``edgeSizes`` and small sizes.
    static func randomShapes(_ count: Int, seed: UInt64) -> [[Int]] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<Int(rng.next() % 5)).map { _ in
                rng.next() % 2 == 0 ? edgeSizes[Int(rng.next() % UInt64(edgeSizes.count))] : Int(rng.next() % 4)
            }
        }
    }

    /// Runs `body` for `shape` when it is small enough to allocate, else checks that it throws
    /// the expected error naming `context` and the shape.
    func check(_ shape: [Int], byteSize: Int = 4, context: String, file: StaticString = #filePath, line: UInt = #line,
               _ body: () throws -> Void) {
        let text = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        switch OverflowTests.expected(shape, byteSize: byteSize) {
        case .negative: assertThrows(.invalidArgument, containing: [context, "negative"], file: file, line: line, body)
        case .tooMany: assertThrows(.invalidArgument, containing: [context, text, "too many elements"], file: file, line: line, body)
        case .outOfMemory: assertThrows(.outOfMemory, containing: [context, "out of memory"], file: file, line: line, body)
        case .bytes(let n) where n <= 1 << 16: XCTAssertNoThrow(try body(), "\(context) \(text)", file: file, line: line)
        case .bytes: break  // valid but large: not allocated here
        }
    }

    // MARK: - The checked arithmetic

    func testCheckedShapeSize() throws {
        XCTAssertEqual(try checkedShapeSize([], context: "t"), 1)
        XCTAssertEqual(try checkedShapeSize([2, 3, 4], context: "t"), 24)
        XCTAssertEqual(try checkedShapeSize([0, 5], context: "t"), 0)
        XCTAssertEqual(try checkedShapeSize([maxElementCount], context: "t"), maxElementCount)
        XCTAssertEqual(try checkedShapeSize([0, 1 << 30, (1 << 30) - 1], context: "t"), 0)
        // A zero does not excuse the other sizes: the strides of [0, 2^62, 2^62] do not fit.
        assertThrows(.invalidArgument, containing: ["npy", "[0, 4611686018427387904, 4611686018427387904]", "too many elements"]) {
            try checkedShapeSize([0, 1 << 62, 1 << 62], context: "npy")
        }
        assertThrows(.invalidArgument, containing: ["t", "too many elements"]) { try checkedShapeSize([maxElementCount + 1], context: "t") }
        assertThrows(.invalidArgument, containing: ["t", "too many elements"]) { try checkedShapeSize([1 << 32, 1 << 32], context: "t") }
        assertThrows(.invalidArgument, containing: ["t", "negative size at axis 1"]) { try checkedShapeSize([2, -3], context: "t") }
        assertThrows(.invalidArgument, containing: ["t", "negative"]) { try checkedShapeSize([Int.min], context: "t") }

        XCTAssertEqual(try checkedShapeSize(known: [2, nil, 3], context: "t"), nil)
        XCTAssertEqual(try checkedShapeSize(known: [2, 3], context: "t"), 6)
        assertThrows(.invalidArgument, containing: ["t", "[4294967296, ?, 4294967296]", "too many elements"]) {
            try checkedShapeSize(known: [1 << 32, nil, 1 << 32], context: "t")
        }
        assertThrows(.invalidArgument, containing: ["t", "[?, -3]", "negative size at axis 1"]) { try checkedShapeSize(known: [nil, -3], context: "t") }

        XCTAssertEqual(try checkedByteCount([3, 5], dtype: .float64, context: "t"), 120)
        XCTAssertEqual(try checkedByteCount([maxElementCount], dtype: .float64, context: "t"), maxElementCount * 8)
        XCTAssertEqual(try checkedContiguousStrides([2, 0, 4], context: "t"), [4, 4, 1])
        assertThrows(.invalidArgument, containing: ["t", "too many elements"]) { try checkedContiguousStrides([0, 1 << 62, 4], context: "t") }

        XCTAssertEqual(try checkedSum([1, 2, 3], context: "t"), 6)
        assertThrows(.invalidArgument, containing: ["t", "too many elements"]) { try checkedSum([1 << 59, 1 << 59, 1 << 59], context: "t") }
        assertThrows(.invalidArgument, containing: ["t", "negative"]) { try checkedSum([1, -1], context: "t") }

        assertThrows(.outOfMemory, containing: ["t", "out of memory", "[1099511627776, 1024]", "float64"]) {
            try checkedAllocation([1 << 40, 1 << 10], dtype: .float64, context: "t")
        }
    }

    /// The checked size agrees with arithmetic in floating point on random shapes.
    func testCheckedShapeSizeOnRandomShapes() {
        for shape in OverflowTests.randomShapes(500, seed: 1) {
            switch OverflowTests.expected(shape, byteSize: 8) {
            case .negative: assertThrows(.invalidArgument, containing: ["negative"]) { try checkedShapeSize(shape, context: "t") }
            case .tooMany: assertThrows(.invalidArgument, containing: ["too many"]) { try checkedShapeSize(shape, context: "t") }
            case .outOfMemory, .bytes:
                XCTAssertEqual(try checkedShapeSize(shape, context: "t"), shape.reduce(1, *), "\(shape)")
                XCTAssertEqual(try checkedByteCount(shape, dtype: .float64, context: "t"), shape.reduce(1, *) * 8, "\(shape)")
            }
        }
    }

    // MARK: - Allocation

    func testAllocationBeyondMemoryThrows() {
        assertThrows(.outOfMemory, containing: ["out of memory", "bytes"]) { try ArrayStorage(byteCount: Int.max) }
        assertThrows(.invalidArgument, containing: ["negative"]) { try ArrayStorage(byteCount: -1) }
        XCTAssertEqual(try ArrayStorage(byteCount: 0).byteCount, 0)
        let tooLarge = ArrayStorage.maxByteCount / 4 + 1
        assertThrows(.outOfMemory, containing: ["zeros", "out of memory", "[\(tooLarge)]", "float32"]) { try NDArray.zeros([tooLarge]) }
        assertThrows(.outOfMemory, containing: ["ones", "out of memory"]) { try NDArray.ones([1 << 30, 1 << 20], .float64) }
    }

    // MARK: - Creators

    func testCreatorsOnRandomShapes() {
        for shape in OverflowTests.randomShapes(300, seed: 2) {
            check(shape, context: "zeros") { _ = try NDArray.zeros(shape) }
            check(shape, context: "ones") { _ = try NDArray.ones(shape) }
            check(shape, byteSize: 8, context: "full") { _ = try NDArray.full(shape, 2, .float64) }
            check(shape, context: "randomUniform") { _ = try NDArray.randomUniform(shape, seed: 1) }
            check(shape, context: "randomNormal") { _ = try NDArray.randomNormal(shape, seed: 1) }
            switch OverflowTests.expected(shape) {
            case .negative: assertThrows(.invalidArgument, containing: ["NDArray", "negative"]) { try NDArray([Float](), shape: shape) }
            case .tooMany: assertThrows(.invalidArgument, containing: ["NDArray", "too many"]) { try NDArray([Float](), shape: shape) }
            case .outOfMemory: assertThrows(.shapeMismatch, containing: ["NDArray", "0 values"]) { try NDArray([Float](), shape: shape) }
            case .bytes: break
            }
        }
    }

    func testRangesAndIdentity() throws {
        assertThrows(.invalidArgument, containing: ["arange", "too many"]) { try NDArray.arange(Int.max) }
        assertThrows(.invalidArgument, containing: ["arange", "too many"]) { try NDArray.arange(maxElementCount + 1) }
        assertThrows(.outOfMemory, containing: ["arange", "out of memory"]) { try NDArray.arange(1 << 50) }
        XCTAssertEqual(try NDArray.arange(-5).shape, [0])
        assertThrows(.invalidArgument, containing: ["arange", "too many"]) { try NDArray.arange(Double(Int.min), Double(Int.max)) }
        assertThrows(.invalidArgument, containing: ["linspace", "non-negative"]) { try NDArray.linspace(0, 1, count: -1) }
        assertThrows(.outOfMemory, containing: ["linspace", "out of memory"]) { try NDArray.linspace(0, 1, count: Int.max / 16) }
        XCTAssertEqual(try NDArray.linspace(0, 1, count: 5).doubles, [0, 0.25, 0.5, 0.75, 1])

        // eye(3, k: Int.max) and friends: the diagonal lies outside, nothing overflows.
        for k in [Int.max, Int.min, Int.max - 1, Int.min + 1, 1 << 62, -(1 << 62), 3, -3] {
            XCTAssertEqual(try NDArray.eye(3, k: k).doubles, Array(repeating: 0, count: 9), "k = \(k)")
        }
        XCTAssertEqual(try NDArray.eye(2, 3, k: 1).doubles, [0, 1, 0, 0, 0, 1])
        for rows in OverflowTests.edgeSizes {
            for columns in OverflowTests.edgeSizes {
                if rows < 0 || columns < 0 {
                    assertThrows(.invalidArgument, containing: ["eye", "non-negative"]) { try NDArray.eye(rows, columns) }
                } else {
                    check([rows, columns], context: "eye") { _ = try NDArray.eye(rows, columns, k: Int.max) }
                }
            }
        }
    }

    // MARK: - Views

    func testReshapeOfEmptyArrays() throws {
        let empty = try NDArray.zeros([0])
        XCTAssertEqual(try empty.reshaped([0, 1 << 30, 1 << 29]).shape, [0, 1 << 30, 1 << 29])
        assertThrows(.invalidArgument, containing: ["reshape", "[0, 4611686018427387904, 4611686018427387904]", "too many elements"]) {
            try empty.reshaped([0, 1 << 62, 1 << 62])
        }
        assertThrows(.invalidArgument, containing: ["reshape", "too many elements"]) { try empty.reshaped([1 << 62, 1 << 62, -1]) }
        assertThrows(.invalidArgument, containing: ["reshape", "too many elements"]) { try empty.reshaped([-1, Int.max, Int.max]) }
        for shape in OverflowTests.randomShapes(300, seed: 3) {
            let target = shape.filter { $0 >= 0 } + [0]
            check(target, context: "reshape") {
                let shape = try empty.reshaped(target).shape
                XCTAssertEqual(shape, target)
            }
        }
    }

    func testBroadcastChecksTheTarget() throws {
        let one = NDArray(scalar: Float(1))
        assertThrows(.invalidArgument, containing: ["broadcast", "[-3]", "negative"]) { try one.broadcast(to: [-3]) }
        assertThrows(.invalidArgument, containing: ["broadcast", "negative"]) { try NDArray([1] as [Float]).broadcast(to: [2, -1]) }
        assertThrows(.invalidArgument, containing: ["broadcast", "too many elements"]) { try one.broadcast(to: [1 << 40, 1 << 40]) }
        // A view of a huge valid shape costs nothing; copying it is out of memory, not a trap.
        let view = try one.broadcast(to: [1 << 50])
        XCTAssertEqual(view.count, 1 << 50)
        assertThrows(.outOfMemory, containing: ["reshape", "out of memory"]) { try view.reshaped([1 << 25, 1 << 25]) }
        assertThrows(.outOfMemory, containing: ["tile", "out of memory"]) { try view.tiled([2]) }
        for shape in OverflowTests.randomShapes(300, seed: 4) {
            switch OverflowTests.expected(shape) {
            case .negative: assertThrows(.invalidArgument, containing: ["broadcast", "negative"]) { try one.broadcast(to: shape) }
            case .tooMany: assertThrows(.invalidArgument, containing: ["broadcast", "too many"]) { try one.broadcast(to: shape) }
            case .outOfMemory, .bytes: XCTAssertEqual(try one.broadcast(to: shape).shape, shape)
            }
        }
        // Shapes that are valid alone can broadcast together to one that is not.
        assertThrows(.invalidArgument, containing: ["too many elements"]) { try broadcastShapes([[1 << 40, 1], [1, 1 << 40]]) }
    }

    /// Slices with any step, start and stop select what Python's `range(*slice.indices(n))`
    /// selects.
    func testSlicesWithExtremeSteps() throws {
        let bounds: [Int?] = [nil, 0, 1, 2, -1, -2, 5, -5, 100, -100, Int.max, Int.min, 1 << 62, -(1 << 62)]
        let steps: [Int?] = [nil, 1, 2, 3, -1, -2, -3, 7, -7, Int.max, Int.min, Int.max - 1, Int.min + 1, 1 << 62, -(1 << 62)]
        for n in [0, 1, 2, 5, 7] {
            let a = try NDArray.arange(n)
            let values = a.toArray(of: Int.self)
            for start in bounds {
                for stop in bounds {
                    for step in steps {
                        let view = try a.slice([.slice(start: start, stop: stop, step: step)])
                        let expected = OverflowTests.pythonSlice(n, start, stop, step).map { values[$0] }
                        XCTAssertEqual(view.toArray(of: Int.self), expected, "n=\(n) [\(String(describing: start)):\(String(describing: stop)):\(String(describing: step))]")
                    }
                }
            }
        }
        assertThrows(.invalidArgument, containing: ["step", "zero"]) { try NDArray.arange(3).slice([.slice(start: nil, stop: nil, step: 0)]) }
        // A stride times a long step: the view of one element keeps a stride that fits.
        let wide = try NDArray.zeros([3, 1 << 20], .uint8).slice([.slice(start: nil, stop: nil, step: Int.max), .all])
        XCTAssertEqual(wide.shape, [1, 1 << 20])
        XCTAssertNoThrow(wide.copy())
    }

    /// The positions `range(*slice(start, stop, step).indices(n))` visits, by walking (in
    /// arithmetic that reports overflow).
    static func pythonSlice(_ n: Int, _ start: Int?, _ stop: Int?, _ step: Int?) -> [Int] {
        let step = step.map { $0 == Int.min ? -Int.max : $0 } ?? 1
        func clamp(_ v: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
            guard var v else { return fallback }
            if v < 0 { v += n }
            return Swift.min(Swift.max(v, low), high)
        }
        let (b, e) = step > 0
            ? (clamp(start, 0, low: 0, high: n), clamp(stop, n, low: 0, high: n))
            : (clamp(start, n - 1, low: -1, high: n - 1), clamp(stop, -1, low: -1, high: n - 1))
        var out: [Int] = []
        var i = b
        while step > 0 ? i < e : i > e {
            out.append(i)
            let (next, overflow) = i.addingReportingOverflow(step)
            if overflow { break }
            i = next
        }
        return out
    }

    // MARK: - Kernels that compute sizes

    func testJoinRepeatAndProductsOfViews() throws {
        let one = NDArray(scalar: Float(1))
        let half = try one.broadcast(to: [1 << 59])
        assertThrows(.invalidArgument, containing: ["concatenate", "too many elements"]) { try NDArray.concatenate([half, half, half], axis: 0) }
        assertThrows(.outOfMemory, containing: ["concatenate", "out of memory"]) { try NDArray.concatenate([half], axis: 0) }

        let small = NDArray([1, 2, 3] as [Float])
        let empty = try NDArray.zeros([0, 2])
        for reps in OverflowTests.edgeSizes {
            if reps < 0 {
                assertThrows(.invalidArgument, containing: ["tile"]) { try small.tiled([reps]) }
                assertThrows(.invalidArgument, containing: ["repeat"]) { try small.repeated(reps) }
                continue
            }
            // Empty arrays repeat to empty arrays, whatever the count (NumPy's answer).
            XCTAssertEqual(try empty.tiled([reps, 1]).shape, [0, 2], "tile \(reps)")
            XCTAssertEqual(try empty.repeated(reps, axis: 0).shape, [0, 2], "repeat \(reps)")
            if reps > maxElementCount / 3 {
                assertThrows(.invalidArgument, containing: ["tile", "3 * \(reps)", "too large"]) { try small.tiled([reps]) }
                assertThrows(.invalidArgument, containing: ["repeat", "3 * \(reps)", "too large"]) { try small.repeated(reps) }
            } else {
                check([3 * reps], context: "tile") { _ = try small.tiled([reps]) }
                check([3 * reps], context: "repeat") { _ = try small.repeated(reps) }
            }
        }
        assertThrows(.invalidArgument, containing: ["tile", "too large"]) { try small.tiled([Int.max, 2]) }

        // Products of broadcast views: the result is checked before it is allocated.
        let column = try one.broadcast(to: [1 << 40, 1])
        let row = try one.broadcast(to: [1, 1 << 40])
        assertThrows(.invalidArgument, containing: ["matmul", "too many elements"]) { try NDArray.matmul(column, row) }
        assertThrows(.invalidArgument, containing: ["matmul", "too many elements"]) { try NDArray.matmulReference(column, row) }
        let tall = try one.broadcast(to: [1 << 20, 1])
        let wide = try one.broadcast(to: [1, 1 << 20])
        assertThrows(.outOfMemory, containing: ["matmul", "out of memory"]) { try NDArray.matmul(tall, wide) }
        assertThrows(.outOfMemory, containing: ["out of memory"]) { try NDArray.outer(try one.broadcast(to: [1 << 40]), small) }
        let zero = NDArray(scalar: Int64(0))
        assertThrows(.outOfMemory, containing: ["take", "out of memory"]) { try small.take(zero.broadcast(to: [1 << 40]), axis: 0) }
        let (rows, columns) = (try zero.broadcast(to: [1 << 40, 1]), try zero.broadcast(to: [1, 1 << 40]))
        let matrix = try one.broadcast(to: [4, 4])
        assertThrows(.invalidArgument, containing: ["index", "too many elements"]) { try matrix.indexed([.integers(rows), .integers(columns)]) }
    }

    /// Reductions keep the axes they do not reduce: of a huge view, that is too much memory.
    func testReductionsOfHugeViews() throws {
        let view = try NDArray(scalar: Float(2)).broadcast(to: [1 << 40, 2])
        assertThrows(.outOfMemory, containing: ["sum", "out of memory", "[1099511627776, 1]"]) { try view.reduce(.sum, axes: [1]) }
        assertThrows(.outOfMemory, containing: ["max", "out of memory"]) { try view.reduce(.max, axes: [1]) }
        assertThrows(.outOfMemory, containing: ["all", "out of memory"]) { try view.reduce(.all, axes: [1]) }
        assertThrows(.outOfMemory, containing: ["argmax", "out of memory"]) { try view.argReduce(.argmax, axis: 1) }
        assertThrows(.outOfMemory, containing: ["softmax", "out of memory"]) { try view.softmax(axis: 1) }
        // Reducing the huge axis needs little memory (and a small view is quick to walk).
        let small = try NDArray(scalar: Float(2)).broadcast(to: [1 << 12, 2])
        XCTAssertEqual(try small.reduce(.sum, axes: [0]).doubles, [8192, 8192])
    }

    // MARK: - .npy headers

    /// `(0, 2**62, 2**62)`: where all 203 crashes of the first fuzz campaign came from.
    func testNPYHeaderWithZeroAndHugeSizes() {
        let data = npy(shape: "(0, 4611686018427387904, 4611686018427387904)")
        assertThrows(.io, containing: ["npy data", "too many elements", "[0, 4611686018427387904, 4611686018427387904]"]) {
            try NDArray(npyData: data)
        }
        assertThrows(.io, containing: ["too many elements"]) { try NDArray(npyData: npy(shape: "(0, 4611686018427387904, 4611686018427387904)", fortran: true)) }
        // Huge but valid and empty: reads, with strides that fit.
        let fine = NDArray.self
        XCTAssertEqual(try fine.init(npyData: npy(shape: "(0, 1073741824, 1073741823)")).shape, [0, 1 << 30, (1 << 30) - 1])
    }

    func testNPYHeadersWithRandomShapes() {
        for shape in OverflowTests.randomShapes(500, seed: 5) {
            let text = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
            // 16 bytes of elements follow the header.
            let data = npy(shape: text) + Data(count: 16)
            switch OverflowTests.expected(shape) {
            case .negative: assertThrows(.io, containing: ["negative"]) { try NDArray(npyData: data) }
            case .tooMany: assertThrows(.io, containing: ["too many elements"]) { try NDArray(npyData: data) }
            case .outOfMemory: assertThrows(.io, containing: ["truncated"]) { try NDArray(npyData: data) }
            case .bytes(let n) where n <= 16: XCTAssertEqual(try NDArray(npyData: data).shape, shape)
            case .bytes: assertThrows(.io, containing: ["truncated"]) { try NDArray(npyData: data) }
            }
        }
    }

    /// A `.npy` file of float32 elements with the given shape text and no elements.
    private func npy(shape: String, fortran: Bool = false) -> Data {
        var header = Array("{'descr': '<f4', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }".utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (64 - (10 + header.count + 1) % 64) % 64) + [UInt8(ascii: "\n")]
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)])
        data.append(contentsOf: header)
        return data
    }
}
