import Theano
import XCTest

/// The NDArray-level products: the BLAS path of `NDArray.matmul` against the plain loop of
/// `NDArray.matmulReference`, on every layout BLAS reads in place and those it must copy.
final class BLASKernelTests: BackendTestCase {
    /// A `[rows, cols]` matrix in one of several layouts, with the name of the layout.
    func layouts(_ rows: Int, _ cols: Int, _ dtype: DType, _ data: inout TestData) throws -> [(String, NDArray)] {
        [
            ("contiguous", data.array([rows, cols], dtype)),
            ("transposed", try data.array([cols, rows], dtype).transposed()),
            ("column-strided", try data.nonContiguous([rows, cols], dtype)),
            ("row-strided", try data.array([2 * rows, cols], dtype).slice([.slice(start: nil, stop: nil, step: 2), .all])),
            ("flipped", try data.array([rows, cols], dtype).flipped(axis: 0)),
            ("broadcast row", try data.array([1, cols], dtype).broadcast(to: [rows, cols])),
            ("sub-block", try data.array([rows + 2, cols + 3], dtype).slice([
                .slice(start: 1, stop: 1 + rows, step: nil), .slice(start: 2, stop: 2 + cols, step: nil)])),
            ("transposed sub-block", try data.array([cols + 3, rows + 2], dtype).slice([
                .slice(start: 2, stop: 2 + cols, step: nil), .slice(start: 1, stop: 1 + rows, step: nil)]).transposed()),
        ]
    }

    func testBLASMatchesReferenceLoopOnEveryLayout() throws {
        var data = TestData(seed: 1)
        let sizes = [(3, 4, 5), (1, 4, 5), (3, 4, 1), (1, 4, 1), (3, 1, 5), (1, 1, 1), (7, 5, 6),
                     (0, 4, 5), (3, 0, 5), (3, 4, 0)]
        for dtype in [DType.float32, .float64] {
            for (m, k, n) in sizes {
                for (nameA, a) in try layouts(m, k, dtype, &data) {
                    for (nameB, b) in try layouts(k, n, dtype, &data) {
                        let fast = try NDArray.matmul(a, b)
                        let slow = try NDArray.matmulReference(a, b)
                        XCTAssertEqual(fast.shape, [m, n])
                        assertClose(fast, slow, rtol: 1e-5, atol: 1e-5,
                                    "\(dtype) [\(m), \(k)] (\(nameA)) x [\(k), \(n)] (\(nameB))")
                    }
                }
            }
        }
    }

    func testLargerProductsPastBLASBlockSizes() throws {
        var data = TestData(seed: 6)
        for dtype in [DType.float32, .float64] {
            let a = try data.array([65, 33], dtype).transposed()                  // [33, 65]
            let b = data.array([65, 17], dtype)
            let c = try data.nonContiguous([17, 40], dtype)
            assertClose(try NDArray.matmul(a, b), try NDArray.matmulReference(a, b), rtol: 1e-4, atol: 1e-4, "\(dtype)")
            assertClose(try NDArray.matmul(b, c), try NDArray.matmulReference(b, c), rtol: 1e-4, atol: 1e-4, "\(dtype)")
        }
    }

    func testReferenceLoopMatchesDefinition() throws {
        var data = TestData(seed: 2)
        for dtype in DType.allCases {
            let a = try data.nonContiguous([2, 3, 4], dtype)
            let b = try data.array([4, 2], dtype).transposed().transposed()
            let c = try data.array([3, 2], dtype).transposed().expandingDims(0)  // [1, 2, 3]
            assertClose(try NDArray.matmulReference(a, b), try naiveMatmul(a, b), "\(dtype)")
            assertClose(try NDArray.matmulReference(c, a), try naiveMatmul(c, a), "\(dtype)")
            assertClose(try NDArray.matmul(a, b), try naiveMatmul(a, b), rtol: 1e-5, atol: 1e-5, "\(dtype)")
        }
    }

    func testBatchedProductsBroadcastBatchAxes() throws {
        var data = TestData(seed: 3)
        let cases: [([Int], [Int])] = [
            ([2, 3, 4], [2, 4, 5]), ([2, 3, 4], [4, 5]), ([4], [2, 4, 5]), ([2, 3, 4], [4]),
            ([2, 1, 3, 4], [5, 4, 2]), ([1, 3, 4], [6, 4, 2]), ([3, 2, 3, 4], [1, 4, 2]),
            ([2, 1, 4], [4, 3]), ([2, 3, 1], [1, 3]), ([0, 3, 4], [4, 5]), ([2, 3, 0], [2, 0, 5]),
            ([2, 0, 4], [1, 4, 5]),
        ]
        for dtype in [DType.float32, .float64, .int32] {
            for (sa, sb) in cases {
                let a = data.array(sa, dtype), b = data.array(sb, dtype)
                let expected = try naiveMatmul(a, b)
                assertClose(try NDArray.matmul(a, b), expected, rtol: 1e-5, atol: 1e-5, "\(dtype) \(sa) x \(sb)")
                assertClose(try NDArray.matmulReference(a, b), expected, rtol: 1e-5, atol: 1e-5, "\(dtype) \(sa) x \(sb)")
            }
        }
    }

    func testBatchedProductsOfViews() throws {
        var data = TestData(seed: 4)
        for dtype in [DType.float32, .float64] {
            let aT = try data.array([3, 4, 2], dtype).transposed([0, 2, 1])          // [3, 2, 4], each matrix transposed
            let aStrided = try data.array([6, 2, 4], dtype).slice([.slice(start: nil, stop: nil, step: 2)])
            let aFlipped = try data.array([3, 2, 4], dtype).flipped(axis: 0)
            let aSliced = try data.array([3, 4, 6], dtype).slice([.all, .slice(start: 1, stop: 3, step: nil), .slice(start: 2, stop: 6, step: nil)])
            let b = data.array([4, 5], dtype)
            let bBatched = try data.array([3, 5, 4], dtype).transposed([0, 2, 1])   // [3, 4, 5]
            let bColumn = try data.nonContiguous([4], dtype)
            for a in [aT, aStrided, aFlipped, aSliced] {
                for other in [b, bBatched, bColumn] {
                    assertClose(try NDArray.matmul(a, other), try naiveMatmul(a, other), rtol: 1e-5, atol: 1e-5,
                                "\(a.shape)/\(a.strides) x \(other.shape)/\(other.strides)")
                }
                let row = try data.nonContiguous([2], dtype)
                assertClose(try NDArray.matmul(row, a), try naiveMatmul(row, a), rtol: 1e-5, atol: 1e-5)
            }
        }
    }

    func testContractedSizeZeroGivesZeros() throws {
        for dtype in [DType.float32, .float64, .int8, .bool] {
            let a = try NDArray.zeros([2, 0], dtype), b = try NDArray.zeros([0, 3], dtype)
            XCTAssertEqual(try NDArray.matmul(a, b), try NDArray.zeros([2, 3], dtype))
            XCTAssertEqual(try NDArray.matmul(try NDArray.zeros([0], dtype), try NDArray.zeros([0], dtype)), try NDArray.zeros([], dtype))
        }
        XCTAssertEqual(try NDArray.matmul(try NDArray.zeros([0, 3]), try NDArray.zeros([3, 4])).shape, [0, 4])
    }

    func testIntegersWrapInTheirDtype() throws {
        // NumPy: np.array([[100, 100]], np.int8) @ np.array([[2], [1]], np.int8) == [[44]]
        let a = try NDArray([100, 100] as [Int8], shape: [1, 2])
        let b = try NDArray([2, 1] as [Int8], shape: [2, 1])
        XCTAssertEqual(try NDArray.matmul(a, b), try NDArray([44] as [Int8], shape: [1, 1]))
        // NumPy: np.array([[200, 100]], np.uint8) @ np.array([[2], [1]], np.uint8) == [[244]]
        let c = try NDArray([200, 100] as [UInt8], shape: [1, 2])
        let d = try NDArray([2, 1] as [UInt8], shape: [2, 1])
        XCTAssertEqual(try NDArray.matmul(c, d), try NDArray([244] as [UInt8], shape: [1, 1]))
        let big = NDArray([Int64.max, 1])
        XCTAssertEqual(try NDArray.matmul(big, NDArray([2, 2] as [Int64])), NDArray(scalar: Int64(0)))
    }

    func testBoolProductIsOrOfAnds() throws {
        // NumPy: [[T, F], [F, F]] @ [[T, T], [T, F]] == [[T, T], [F, F]]
        let a = try NDArray([[true, false], [false, false]])
        let b = try NDArray([[true, true], [true, false]])
        XCTAssertEqual(try NDArray.matmul(a, b), try NDArray([[true, true], [false, false]]))
    }

    func testValuesAgainstNumPy() throws {
        // np.arange(6.).reshape(2, 3) @ (np.arange(12.).reshape(3, 4) - 5)
        let a = try NDArray((0..<6).map(Double.init), shape: [2, 3])
        let b = try NDArray((0..<12).map { Double($0) - 5 }, shape: [3, 4])
        assertValues(try NDArray.matmul(a, b), [5, 8, 11, 14, -4, 8, 20, 32], shape: [2, 4])
        assertValues(try NDArray.matmul(a.astype(.float32), b.astype(.float32)), [5, 8, 11, 14, -4, 8, 20, 32], shape: [2, 4])
        // np.tensordot(np.arange(24.).reshape(2, 3, 4), np.arange(12.).reshape(4, 3), axes=([1, 2], [1, 0]))
        let t = try NDArray((0..<24).map(Double.init), shape: [2, 3, 4])
        let u = try NDArray((0..<12).map(Double.init), shape: [4, 3])
        assertValues(try NDArray.tensordot(t, u, axes: ([1, 2], [1, 0])), [440, 1232], shape: [2])
        // np.outer([[1, 2], [3, 4]], [1, -1, 2])
        let o = try NDArray.outer(try NDArray([1, 2, 3, 4] as [Int64], shape: [2, 2]), NDArray([1, -1, 2] as [Int64]))
        XCTAssertEqual(o, try NDArray([1, -1, 2, 2, -2, 4, 3, -3, 6, 4, -4, 8] as [Int64], shape: [4, 3]))
    }

    func testTensordotOnViewsMatchesDefinition() throws {
        var data = TestData(seed: 5)
        let a = try data.array([3, 4, 5]).transposed([2, 0, 1])     // [5, 3, 4]
        let b = try data.nonContiguous([4, 5, 2])
        for (axesA, axesB) in [([0, 2], [1, 0]), ([2], [0]), ([0], [1]), ([], []), ([2, 0], [0, 1])] {
            assertClose(try NDArray.tensordot(a, b, axes: (axesA, axesB)), try naiveTensordot(a, b, axesA, axesB),
                        "axes \(axesA), \(axesB)")
        }
        assertClose(try NDArray.tensordot(a, b, axes: ([-3, -1], [-2, -3])), try naiveTensordot(a, b, [0, 2], [1, 0]))
    }

    func testErrors() throws {
        let a = try NDArray.zeros([2, 3]), b = try NDArray.zeros([4, 5])
        assertThrows(.shapeMismatch, containing: ["matmul", "[2, 3]", "[4, 5]", "axis 1", "axis 0"]) {
            try NDArray.matmul(a, b)
        }
        assertThrows(.shapeMismatch, containing: ["matmul", "batch", "[2, 3, 4]", "[5, 4, 1]"]) {
            try NDArray.matmul(try NDArray.zeros([2, 3, 4]), try NDArray.zeros([5, 4, 1]))
        }
        assertThrows(.typeMismatch, containing: ["matmul", "float32", "float64"]) {
            try NDArray.matmul(a, try NDArray.zeros([3, 2], .float64))
        }
        assertThrows(.invalidArgument, containing: ["matmul", "rank 1"]) {
            try NDArray.matmul(try NDArray.zeros([]), a)
        }
        assertThrows(.shapeMismatch, containing: ["tensordot", "axis 1", "size 3"]) {
            try NDArray.tensordot(a, b, axes: ([1], [0]))
        }
        assertThrows(.outOfRange, containing: ["tensordot", "axis 2"]) {
            try NDArray.tensordot(a, b, axes: ([2], [0]))
        }
        assertThrows(.invalidArgument, containing: ["tensordot", "same length"]) {
            try NDArray.tensordot(a, b, axes: ([1], []))
        }
    }
}
