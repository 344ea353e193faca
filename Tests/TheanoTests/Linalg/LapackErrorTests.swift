import Theano
import XCTest

/// Bad input to the linear-algebra ops: wrong ranks, non-square matrices, integer dtypes and
/// mismatched sizes throw when the graph is built (naming the function, the input and the
/// types); singular, not positive-definite and non-finite values throw at run time; singular
/// matrices give NumPy's values where NumPy returns values (det 0, slogdet sign 0 and -inf).
final class LapackErrorTests: BackendTestCase {
    func testBuildTimeErrors() throws {
        assertThrows(.typeMismatch, containing: ["inv", "input 0", "ints", "int32", "float32 or float64"]) {
            try inv(Tensor.matrix("ints", .int32))
        }
        assertThrows(.invalidArgument, containing: ["det", "input 0", "v", "rank 1", "at least 2"]) {
            try det(Tensor.vector("v", .float64))
        }
        assertThrows(.shapeMismatch, containing: ["cholesky", "input 0", "rect", "square", "3 x 4"]) {
            try cholesky(Tensor.matrix("rect", .float64, shape: [3, 4]))
        }
        assertThrows(.shapeMismatch, containing: ["solve", "input 1", "b", "4 rows", "3 x 3"]) {
            try solve(Tensor.matrix("a", .float64, shape: [3, 3]), Tensor.vector("b", .float64, size: 4))
        }
        assertThrows(.invalidArgument, containing: ["solve", "input 1", "rank 0"]) {
            try solve(Tensor.matrix("a", .float64), Tensor.scalar("s", .float64))
        }
        assertThrows(.typeMismatch, containing: ["eigh", "bool"]) { try eigh(Tensor.matrix("m", .bool)) }
        assertThrows(.shapeMismatch, containing: ["matrixPower", "square"]) {
            try matrixPower(Tensor.matrix("m", .float64, shape: [2, 5]), 2)
        }
        // Mixed float types promote to float64 rather than failing.
        XCTAssertEqual(try solve(Tensor.matrix("a", .float32), Tensor.vector("b", .float64)).dtype, .float64)
    }

    func testRunTimeShapeErrors() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.vector("b", .float64)
        assertThrows(.shapeMismatch, containing: ["inv", "run time", "a", "square", "2 x 3"]) {
            try evaluate(try inv(a), [a], [try NDArray.zeros([2, 3], .float64)])
        }
        assertThrows(.shapeMismatch, containing: ["solve", "run time", "input 1", "b", "2 rows", "3 x 3"]) {
            try evaluate(try solve(a, b), [a, b], [try NDArray.eye(3, 3, .float64), try NDArray.zeros([2], .float64)])
        }
    }

    func testSingularAndNotPositiveDefinite() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.vector("b", .float64)
        let singular = try NDArray([[1.0, 2.0], [2.0, 4.0]])
        assertThrows(.invalidArgument, containing: ["inv", "singular", "input 0 is a of shape [2, 2]"]) { try evaluate(try inv(a), [a], [singular]) }
        assertThrows(.invalidArgument, containing: ["solve", "singular"]) {
            try evaluate(try solve(a, b), [a, b], [singular, NDArray([1.0, 1.0])])
        }
        assertThrows(.invalidArgument, containing: ["solve", "singular"]) {
            try evaluate(try solve(a, b, assume: .symmetric), [a, b], [singular, NDArray([1.0, 1.0])])
        }
        assertThrows(.invalidArgument, containing: ["solveTriangular", "singular", "diagonal entry 1"]) {
            try evaluate(try solveTriangular(a, b, lower: true), [a, b], [try NDArray([[1.0, 0.0], [3.0, 0.0]]), NDArray([1.0, 1.0])])
        }
        let indefinite = try NDArray([[1.0, 2.0], [2.0, 1.0]])
        assertThrows(.invalidArgument, containing: ["cholesky", "not positive definite", "order 2", "input 0 is a"]) {
            try evaluate(try cholesky(a), [a], [indefinite])
        }
        assertThrows(.invalidArgument, containing: ["solve", "not positive definite"]) {
            try evaluate(try solve(a, b, assume: .positiveDefinite), [a, b], [indefinite, NDArray([1.0, 1.0])])
        }
        // The batch index of the failing matrix is named.
        let stack = Tensor.variable("s", .float64, shape: [nil, nil, nil])
        let blocks = try NDArray([1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 4.0], shape: [2, 2, 2])
        assertThrows(.invalidArgument, containing: ["inv", "singular", "batch index [1]"]) {
            try evaluate(try inv(stack), [stack], [blocks])
        }
        // NumPy's values for singular matrices: det 0, slogdet (0, -inf).
        XCTAssertEqual(try evaluate(try det(a), [a], [singular]).doubles, [0])
        let (sign, log) = try slogdet(a)
        let results = try function([a], [sign, log]).call([singular])
        XCTAssertEqual(results[0].doubles, [0])
        XCTAssertEqual(results[1].doubles, [-Double.infinity])
    }

    func testLUAndDecompositionErrors() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.vector("b", .float64)
        let (lu, pivots) = try luFactor(a)
        assertThrows(.typeMismatch, containing: ["luSolve", "input 1", "int32", "float64"]) {
            try luSolve(lu, cast(pivots, .float64), b)
        }
        let p = Tensor.vector("p", .int32)
        assertThrows(.outOfRange, containing: ["luSolve", "pivot 0 is 5"]) {
            try evaluate(try luSolve(a, p, b), [a, p, b], [try NDArray.eye(2, 2, .float64), NDArray([5, 1] as [Int32]), NDArray([1.0, 2.0])])
        }
        // Gradients that are not defined say so when the gradient is built.
        let wide = Tensor.matrix("w", .float64, shape: [2, 3])
        assertThrows(.notDifferentiable, containing: ["qr", "m >= n", "2 x 3"]) { try grad(sum(qr(wide).r), wrt: wide) }
        assertThrows(.notDifferentiable, containing: ["svd", "full", "reduced"]) { try grad(sum(svd(wide).u), wrt: wide) }
        // The singular values of the full decomposition are differentiable.
        XCTAssertNoThrow(try grad(sum(svd(wide).s), wrt: wide))
    }

    func testEmptyAndExtremeMatrices() throws {
        let a = Tensor.matrix("a", .float64)
        let wide = try NDArray.zeros([0, 3], .float64), tall = try NDArray.zeros([3, 0], .float64)
        let (u, s, vt) = try svd(a)
        let svdResults = try function([a], [u, s, vt]).call([wide])
        XCTAssertEqual(svdResults.map(\.shape), [[0, 0], [0], [3, 3]])
        XCTAssertEqual(svdResults[2], try NDArray.eye(3, 3, .float64))
        let (q, r) = try qr(a, complete: true)
        let qrResults = try function([a], [q, r]).call([tall])
        XCTAssertEqual(qrResults[0], try NDArray.eye(3, 3, .float64))
        XCTAssertEqual(qrResults[1].shape, [3, 0])
        XCTAssertEqual(try function([a], [q, r]).call([wide]).map(\.shape), [[0, 0], [0, 3]])
        XCTAssertEqual(try evaluate(try pinv(a), [a], [wide]).shape, [3, 0])
        XCTAssertEqual(try evaluate(try expm(a), [a], [try NDArray.zeros([0, 0], .float64)]).shape, [0, 0])
        XCTAssertEqual(try evaluate(try cholesky(a), [a], [try NDArray.zeros([0, 0], .float64)]).shape, [0, 0])
        XCTAssertEqual(try evaluate(try eigvalsh(a), [a], [try NDArray.zeros([0, 0], .float64)]).shape, [0])
        // Extreme arguments are errors or empty results, never traps.
        XCTAssertEqual(try evaluate(try trace(a, offset: Int.min), [a], [try NDArray.eye(2, 2, .float64)]).doubles, [0])
        XCTAssertEqual(try evaluate(try trace(a, offset: Int.max), [a], [try NDArray.eye(2, 2, .float64)]).doubles, [0])
        assertThrows(.invalidArgument, containing: ["kron", "overflows"]) {
            try kron(Tensor.vector("u", size: 1 << 40), Tensor.vector("v", size: 1 << 40))
        }
        assertThrows(.invalidArgument, containing: ["Blockwise", "negative"]) {
            try blockwise(Outer(), coreRanks: [-1, 1], [Tensor.vector("u"), Tensor.vector("v")])
        }
        XCTAssertEqual(try evaluate(try matrixPower(a, Int.min + 1), [a], [try NDArray.eye(2, 2, .float64)]), try NDArray.eye(2, 2, .float64))
        // A 1-norm beyond float64's range cannot be scaled: an error, not a trap.
        assertThrows(.invalidArgument, containing: ["expm", "overflows", "input 0 is a"]) {
            try evaluate(try expm(a), [a], [try NDArray([[1e308, 1e308], [1e308, 1e308]])])
        }
    }

    func testNonFiniteValuesThrow() throws {
        let a = Tensor.matrix("a", .float64)
        for bad in [Double.nan, .infinity] {
            assertThrows(.invalidArgument, containing: ["inv", "input 0", "a", "NaN or infinity"]) {
                try evaluate(try inv(a), [a], [try NDArray([[1.0, bad], [0.0, 1.0]])])
            }
            assertThrows(.invalidArgument, containing: ["eigh", "NaN or infinity"]) {
                try evaluate(try eigh(a).values, [a], [try NDArray([[1.0, bad], [bad, 1.0]])])
            }
        }
    }
}
