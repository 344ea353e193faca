import Theano
import XCTest

/// Graphs whose sizes overflow or exceed memory: static shapes whose sizes multiply past any
/// array's, run-time sizes fed to creators, broadcast views standing for huge arrays. Each is
/// a `TheanoError` naming the operation, never a trap: when the graph is built, when it is
/// compiled (shape inference, constant folding), or when it runs.
final class OverflowGraphTests: BackendTestCase {
    /// `x` of shape `[2^32, 2^32]`: its element count does not fit the limit of 2^60 - 1.
    let huge = Tensor.variable("x", .float32, shape: [1 << 32, 1 << 32])

    func testStaticShapesThatOverflow() throws {
        assertThrows(.invalidArgument, containing: ["size of x", "[4294967296, 4294967296]", "too many elements"]) { try self.huge.size }
        assertThrows(.invalidArgument, containing: ["number of elements", "too many elements"]) { try mean(self.huge) }
        assertThrows(.invalidArgument, containing: ["too many elements"]) { try `var`(self.huge) }
        assertThrows(.invalidArgument, containing: ["too many elements"]) { try self.huge.std() }
        // One axis at a time is fine.
        XCTAssertEqual(try mean(huge, axis: 0).staticShape, [1 << 32])
        XCTAssertEqual(try huge.shape(0).constantValue?.item(Int.self), 1 << 32)
        let partial = Tensor.variable("p", .float32, shape: [1 << 40, nil, 1 << 40])
        assertThrows(.invalidArgument, containing: ["[1099511627776, ?, 1099511627776]", "too many elements"]) { try partial.size }
        assertThrows(.invalidArgument, containing: ["Outer", "too many elements"]) { try outer(self.huge, Tensor.vector("v")) }
        assertThrows(.invalidArgument, containing: ["Outer", "too many elements"]) {
            try outer(Tensor.vector("a", size: 1 << 40), Tensor.vector("b", size: 1 << 40))
        }
        assertThrows(.invalidArgument, containing: ["jacobian", "too many elements"]) { try jacobian(self.huge, wrt: self.huge) }
        assertThrows(.invalidArgument, containing: ["Reshape", "too many elements"]) { try reshape(self.huge, [-1]) }
        // Graphs that do not multiply the sizes still build and compile (shape inference and
        // constant folding included): no value can be passed.
        let f = try function([huge], [try sum(huge), try huge * 2 + 1, huge.shape, try huge.shape(1) * huge.shape(0)])
        assertThrows { try f(NDArray.zeros([2, 2])) }
    }

    func testStaticCreatorsThatOverflow() throws {
        assertThrows(.invalidArgument, containing: ["Alloc", "[1099511627776, 1099511627776]", "too many elements"]) {
            try zeros([1 << 40, 1 << 40])
        }
        assertThrows(.invalidArgument, containing: ["too many elements"]) { try ones([0, 1 << 62, 1 << 62]) }
        assertThrows(.invalidArgument, containing: ["too many elements"]) { try alloc(Tensor.constant(1, .float32), shape: [1 << 31, 1 << 31]) }
        assertThrows(.invalidArgument, containing: ["Eye", "too many elements"]) { try eye(1 << 40, 1 << 40) }
        assertThrows(.invalidArgument, containing: ["Tile", "too large"]) { try tile(Tensor.vector("v", size: 3), reps: [Int.max]) }
        assertThrows(.invalidArgument, containing: ["Tile", "too many elements"]) {
            try tile(Tensor.matrix("m", shape: [1 << 31, 1 << 31]), reps: [1, 2])
        }
        assertThrows(.invalidArgument, containing: ["Repeat", "too large"]) { try Tensor.vector("v", size: 3).repeat(repeats: Int.max) }
        assertThrows(.invalidArgument, containing: ["Join", "too many elements"]) {
            try concatenate([Tensor.vector("a", size: 1 << 59), Tensor.vector("b", size: 1 << 59), Tensor.vector("c", size: 1 << 59)])
        }
        assertThrows(.invalidArgument, containing: ["Reshape", "too many elements"]) { try reshape(Tensor.vector("e", size: 0), [0, 1 << 62, 1 << 62]) }
        assertThrows(.invalidArgument, containing: ["ARange", "too many"]) { try arange(0, Int.max) }
        // The diagonal far outside the matrix: nothing overflows.
        XCTAssertEqual(try evaluate(try eye(3, k: Int.max), [], []).doubles, Array(repeating: 0, count: 9))
        XCTAssertEqual(try evaluate(try eye(3, k: Int.min), [], []).doubles, Array(repeating: 0, count: 9))
    }

    /// Random static and run-time shapes over edge sizes, given to zeros, ones and alloc: a
    /// result when valid and small, else an error naming the problem.
    func testCreatorsOnRandomShapes() throws {
        let edges = [0, 1, 2, 3, 1 << 31, 1 << 40, (1 << 60) - 1, 1 << 60, 1 << 62, Int.max, -1, Int.min]
        var rng = RandomGenerator(seed: 9)
        let symbols = (0..<3).map { Tensor.scalar("n\($0)", .int64) }
        let runTime = try (1...3).map { rank in try function(Array(symbols.prefix(rank)), [try zeros(Array(symbols.prefix(rank)))]) }
        for _ in 0..<200 {
            let rank = 1 + Int(rng.next() % 3)
            let shape = (0..<rank).map { _ in rng.next() % 2 == 0 ? edges[Int(rng.next() % UInt64(edges.count))] : Int(rng.next() % 4) }
            let extent = shape.filter { $0 != 0 }.reduce((1 as UInt, false)) { acc, n in
                guard n > 0, !acc.1 else { return (acc.0, true) }
                let (high, low) = acc.0.multipliedFullWidth(by: UInt(n))
                return high != 0 || low > UInt(maxElementCount) ? (acc.0, true) : (low, false)
            }
            let values = shape.map { NDArray(scalar: Int64($0)) }
            if shape.contains(where: { $0 < 0 }) {
                assertThrows(.invalidArgument, containing: ["negative"]) { try zeros(shape) }
                assertThrows(.invalidArgument, containing: ["negative"]) { try runTime[rank - 1].call(values) }
            } else if extent.1 {
                assertThrows(.invalidArgument, containing: ["too many elements"]) { try ones(shape, .int8) }
                assertThrows(.invalidArgument, containing: ["too many elements"]) { try runTime[rank - 1].call(values) }
            } else if shape.contains(0) || extent.0 <= 1 << 12 {
                XCTAssertEqual(try evaluate(try alloc(Tensor.constant(1, .float64), shape: shape), [], []).shape, shape)
                XCTAssertEqual(try runTime[rank - 1].call(values)[0].shape, shape)
            } else if Int(extent.0) * 4 > ArrayStorage.maxByteCount {
                XCTAssertEqual(try zeros(shape).staticShape, shape.map { $0 })  // builds, never runs
                assertThrows(.outOfMemory, containing: ["out of memory"]) { try runTime[rank - 1].call(values) }
            }
        }
    }

    func testRunTimeSizesThatOverflow() throws {
        let n = Tensor.scalar("n", .int64)
        let cases: [(String, Tensor, [String])] = [
            ("zeros", try zeros([n, n]), ["Alloc"]),
            ("alloc", try alloc(Tensor.constant(2, .float64), shape: [n, 3, n]), ["Alloc"]),
            ("arange", try arange(n), ["ARange"]),
            ("eye", try eye(n, n, k: n), ["Eye"]),
            ("broadcastTo", try broadcastTo(Tensor.constant(1, .float32), [n, n]), ["BroadcastTo"]),
        ]
        for (name, output, words) in cases {
            let f = try function([n], [output])
            for size in [Int64(1) << 40, Int64(1) << 62, Int64.max] {
                let value = NDArray(scalar: size)
                do {
                    _ = try f(value)
                    XCTFail("\(name)(\(size)) did not throw")
                } catch let error as TheanoError {
                    XCTAssertTrue([.invalidArgument, .outOfMemory].contains(error.kind), "\(name): \(error)")
                    for word in words { XCTAssertTrue(error.message.contains(word), "\(name): \(error.message) lacks \(word)") }
                }
            }
            for size in [Int64(-1), Int64.min] where name != "arange" {  // arange(-1) is empty
                assertThrows(containing: ["negative"]) { try f(NDArray(scalar: size)) }
            }
            XCTAssertNoThrow(try f(NDArray(scalar: Int64(2))), name)
            XCTAssertNoThrow(try f(NDArray(scalar: Int64(0))), name)
        }
        // A size that fits in Int but not in memory: out of memory, with the size.
        let f = try function([n], [try zeros([n, n])])
        assertThrows(.outOfMemory, containing: ["Alloc", "out of memory", "[1048576, 1048576]"]) { try f(NDArray(scalar: Int64(1) << 20)) }
    }

    func testRunTimeRepetitionAndReshape() throws {
        let v = Tensor.vector("v", .float32)
        let tiled = try function([v], [try tile(v, reps: [1 << 40])])
        assertThrows(.outOfMemory, containing: ["tile", "out of memory"]) { try tiled(NDArray([1, 2] as [Float])) }
        XCTAssertEqual(try tiled(NDArray([Float]()))[0].shape, [0])
        let repeated = try function([v], [try v.repeat(repeats: 1 << 62)])
        assertThrows(.invalidArgument, containing: ["repeat", "too large"]) { try repeated(NDArray([1, 2, 3, 4, 5] as [Float])) }
        XCTAssertEqual(try repeated(NDArray([Float]()))[0].shape, [0])

        let s = Tensor.vector("s", .int64, size: 3)
        let reshaped = try function([v, s], [try reshape(v, s)])
        let empty = NDArray([Float]())
        assertThrows(.invalidArgument, containing: ["Reshape", "too many elements"]) {
            try reshaped(empty, NDArray([0, 1 << 62, 1 << 62] as [Int64]))
        }
        assertThrows(.invalidArgument, containing: ["too many elements"]) { try reshaped(empty, NDArray([1 << 62, 1 << 62, -1] as [Int64])) }
        XCTAssertEqual(try reshaped(empty, NDArray([0, 1 << 30, 5] as [Int64]))[0].shape, [0, 1 << 30, 5])
    }

    /// Constants that are broadcast views of one element can stand for huge arrays: folding
    /// declines them, and the elementwise result is refused when the function runs.
    func testConstantFoldingDeclinesHugeResults() throws {
        let one = NDArray(scalar: Float(1))
        let column = Tensor.constant(try one.broadcast(to: [1 << 40, 1]))
        let row = Tensor.constant(try one.broadcast(to: [1, 1 << 40]))
        let grid = try column + row
        XCTAssertEqual(grid.staticShape, [1 << 40, 1 << 40])
        let f = try function([], [grid])
        assertRefused { try f() }
        let fast = try function([], [grid], mode: .fastRun)
        assertRefused { try fast() }
        let g = try function([], [try exp(column) * 2])
        assertRefused { try g() }
        // A reduction of a huge view needs no memory for the view.
        let total = try function([], [try sum(Tensor.constant(try one.broadcast(to: [1 << 12, 1 << 8])))])
        XCTAssertEqual(try total()[0].item(Double.self), Double(1 << 20))
    }

    /// Asserts that `body` throws a size error: too many elements, or out of memory (DebugMode
    /// copies its inputs first, and may run out of memory before the kernel finds too many
    /// elements).
    private func assertRefused(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any) {
        do {
            _ = try body()
            XCTFail("expected a size error, got none", file: file, line: line)
        } catch let error as TheanoError {
            XCTAssertTrue(error.kind == .invalidArgument && error.message.contains("too many elements")
                || error.kind == .outOfMemory && error.message.contains("out of memory"), "\(error.kind): \(error.message)", file: file, line: line)
        } catch {
            XCTFail("expected a TheanoError, got \(error)", file: file, line: line)
        }
    }

    func testVarianceWithExtremeDDOF() throws {
        let x = Tensor.vector("x", .float64)
        assertThrows(.invalidArgument, containing: ["var", "ddof", "-9223372036854775808"]) { try `var`(x, ddof: Int.min) }
        assertThrows(.invalidArgument, containing: ["std", "ddof"]) { try std(x, ddof: -(1 << 62) - 1) }
        let values = NDArray([1, 2, 3, 4] as [Double])
        // Large ddof: the divisor is 0 (NumPy gives inf here); the lowest allowed ddof divides by n + 2^62.
        XCTAssertEqual(try evaluate(try `var`(x, ddof: Int.max), [x], [values]).item(Double.self), .infinity)
        let lowest = try evaluate(try `var`(x, ddof: -(1 << 62)), [x], [values]).item(Double.self)
        XCTAssertEqual(lowest, 5.0 / (4.0 + 0x1p62), accuracy: 1e-30)
        let fixed = Tensor.vector("f", .float64, size: 4)
        XCTAssertEqual(try evaluate(try `var`(fixed, ddof: Int.max), [fixed], [values]).item(Double.self), .infinity)
        XCTAssertEqual(try evaluate(try `var`(fixed, ddof: -(1 << 62)), [fixed], [values]).item(Double.self), 5.0 / (4.0 + 0x1p62), accuracy: 1e-30)
    }
}
