import TheanoArray
import XCTest

final class CreationTests: XCTestCase {
    func testZerosOnesFull() throws {
        let z = try NDArray.zeros([2, 3])
        XCTAssertEqual(z.dtype, .float32)
        XCTAssertEqual(z.shape, [2, 3])
        XCTAssertEqual(z.doubles, Array(repeating: 0, count: 6))
        XCTAssertEqual(try NDArray.ones([3], .int8).toArray(of: Int8.self), [1, 1, 1])
        XCTAssertEqual(try NDArray.ones([2], .bool).toArray(of: Bool.self), [true, true])
        XCTAssertEqual(try NDArray.full([2, 2], 2.5, .float64).doubles, [2.5, 2.5, 2.5, 2.5])
        XCTAssertEqual(try NDArray.full([2], -1.7, .int32).toArray(of: Int32.self), [-1, -1])
        XCTAssertEqual(try NDArray.zeros([], .int64).shape, [])
        XCTAssertEqual(try NDArray.zeros([], .int64).count, 1)
        XCTAssertEqual(try NDArray.zeros([0, 4]).count, 0)
    }

    func testArangeMatchesNumPy() throws {
        // np.arange(5), np.arange(2, 11, 3), np.arange(10, 0, -3), np.arange(1, 2, 0.3),
        // np.arange(0, 1, 0.1) has 10 elements, np.arange(5, 5) and np.arange(5, 0) are empty.
        XCTAssertEqual(try NDArray.arange(5).toArray(of: Int64.self), [0, 1, 2, 3, 4])
        XCTAssertEqual(try NDArray.arange(5).dtype, .int64)
        XCTAssertEqual(try NDArray.arange(2, 11, step: 3).toArray(of: Int64.self), [2, 5, 8])
        XCTAssertEqual(try NDArray.arange(10, 0, step: -3).toArray(of: Int64.self), [10, 7, 4, 1])
        let f = try NDArray.arange(1, 2, step: 0.3, .float64)
        XCTAssertEqual(f.count, 4)
        for (x, y) in zip(f.doubles, [1, 1.3, 1.6, 1.9]) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        XCTAssertEqual(try NDArray.arange(0, 1, step: 0.1, .float32).count, 10)
        XCTAssertEqual(try NDArray.arange(1, -1, step: -0.5, .float64).doubles, [1, 0.5, 0, -0.5])
        XCTAssertEqual(try NDArray.arange(5, 5).count, 0)
        XCTAssertEqual(try NDArray.arange(5, 0).count, 0)
        XCTAssertEqual(try NDArray.arange(0).shape, [0])
        assertThrows(.invalidArgument, containing: ["arange", "step"]) { try NDArray.arange(0, 1, step: 0) }
        assertThrows(.invalidArgument, containing: ["arange"]) { try NDArray.arange(0, .infinity) }
        assertThrows(.invalidArgument, containing: ["arange"]) { try NDArray.arange(.nan, 1) }
        // Too many elements (NumPy: "Maximum allowed size exceeded"), not a trap.
        assertThrows(.invalidArgument, containing: ["arange", "too many"]) { try NDArray.arange(0, 1e300) }
        assertThrows(.invalidArgument, containing: ["arange", "too many"]) { try NDArray.arange(-1e308, 1e308) }
    }

    func testLinspaceMatchesNumPy() throws {
        // np.linspace(0, 1, 5) and np.linspace(0, 1, 5, endpoint=False)
        XCTAssertEqual(try NDArray.linspace(0, 1, count: 5).doubles, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(try NDArray.linspace(0, 1, count: 5, endpoint: false).doubles, [0, 0.2, 0.4, 0.6000000000000001, 0.8])
        XCTAssertEqual(try NDArray.linspace(2, -2, count: 3).doubles, [2, 0, -2])
        XCTAssertEqual(try NDArray.linspace(3, 7, count: 1).doubles, [3])
        XCTAssertEqual(try NDArray.linspace(3, 7, count: 0).shape, [0])
        XCTAssertEqual(try NDArray.linspace(0, 1, count: 3, .float32).dtype, .float32)
        XCTAssertEqual(try NDArray.linspace(0, 1, count: 7).toArray(of: Double.self).last, 1)
        assertThrows(.invalidArgument, containing: ["linspace", "-1"]) { try NDArray.linspace(0, 1, count: -1) }
    }

    func testEyeWithDiagonalOffset() throws {
        XCTAssertEqual(try NDArray.eye(3).doubles, [1, 0, 0, 0, 1, 0, 0, 0, 1])
        // np.eye(3, 4, k=1) and np.eye(3, k=-1)
        XCTAssertEqual(try NDArray.eye(3, 4, k: 1).doubles, [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
        XCTAssertEqual(try NDArray.eye(3, k: -1).doubles, [0, 0, 0, 1, 0, 0, 0, 1, 0])
        XCTAssertEqual(try NDArray.eye(2, k: 5).doubles, [0, 0, 0, 0])
        XCTAssertEqual(try NDArray.eye(2, 2, .int32).dtype, .int32)
        XCTAssertEqual(try NDArray.eye(0).shape, [0, 0])
        assertThrows(.invalidArgument, containing: ["eye", "-1"]) { try NDArray.eye(-1) }
    }

    func testSeededUniformIsDeterministicWithTheRightMoments() throws {
        let a = try NDArray.randomUniform([2000], seed: 42, .float64)
        let b = try NDArray.randomUniform([2000], seed: 42, .float64)
        let c = try NDArray.randomUniform([2000], seed: 43, .float64)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        let v = a.doubles
        XCTAssertTrue(v.allSatisfy { $0 >= 0 && $0 < 1 })
        let (mean, std) = moments(v)
        XCTAssertEqual(mean, 0.5, accuracy: 0.03)
        XCTAssertEqual(std, (1.0 / 12).squareRoot(), accuracy: 0.03)

        let scaled = try NDArray.randomUniform([3, 4], low: -2, high: 5, seed: 1)
        XCTAssertEqual(scaled.dtype, .float32)
        XCTAssertEqual(scaled.shape, [3, 4])
        XCTAssertTrue(scaled.doubles.allSatisfy { $0 >= -2 && $0 <= 5 })
    }

    func testSeededNormalIsDeterministicWithTheRightMoments() throws {
        let a = try NDArray.randomNormal([4000], mean: 3, std: 2, seed: 7, .float64)
        XCTAssertEqual(a, try NDArray.randomNormal([4000], mean: 3, std: 2, seed: 7, .float64))
        let (mean, std) = moments(a.doubles)
        XCTAssertEqual(mean, 3, accuracy: 0.15)
        XCTAssertEqual(std, 2, accuracy: 0.15)

        var rng = RandomGenerator(seed: 9)
        let first = try NDArray.randomNormal([5], using: &rng)
        let second = try NDArray.randomNormal([5], using: &rng)
        XCTAssertNotEqual(first, second, "a shared generator advances")
        var again = RandomGenerator(seed: 9)
        XCTAssertEqual(try NDArray.randomNormal([5], using: &again), first)
    }

    private func moments(_ v: [Double]) -> (Double, Double) {
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
        return (mean, variance.squareRoot())
    }
}

final class CreationValidationTests: XCTestCase {
    func testNegativeOrHugeShapesThrowInsteadOfCrashing() {
        assertThrows(.invalidArgument, containing: ["zeros", "negative", "[2, -1]"]) { try NDArray.zeros([2, -1]) }
        assertThrows(.invalidArgument, containing: ["ones"]) { try NDArray.ones([-3]) }
        assertThrows(.invalidArgument, containing: ["full"]) { try NDArray.full([-1], 2) }
        assertThrows(.invalidArgument, containing: ["randomNormal"]) { try NDArray.randomNormal([-2], seed: 0) }
        assertThrows(.invalidArgument, containing: ["randomUniform", "too many"]) { try NDArray.randomUniform([1 << 40, 1 << 40], seed: 0) }
    }
}
