import Theano
import XCTest

/// Calling compiled functions with Swift numbers and nested arrays: what converts, what is an
/// error, and `allowInputDowncast`.
final class FunctionArgumentTests: BackendTestCase {
    func testSwiftNumbersAndNestedArrays() throws {
        let x = Tensor.matrix("x", .float32)
        let s = Tensor.scalar("s", .float32)
        let f = try function([x, s], [x * s])
        let out = try f([[1, 2], [3, 4]], 0.5)
        XCTAssertEqual(out[0].dtype, .float32)
        XCTAssertEqual(out[0].shape, [2, 2])
        assertValues(out[0], [0.5, 1, 1.5, 2])
        // Ints, Floats and NDArrays mix.
        assertValues(try f([[Float(1), 2]], 2)[0], [2, 4])
        assertValues(try f(NDArray([[1, 2]] as [[Float]]), Float(0.25))[0], [0.25, 0.5])
    }

    func testExistingNDArrayCallsStillWork() throws {
        let a = Tensor.vector("a", .float64), b = Tensor.vector("b", .float64)
        let f = try function([a, b], [a + b])
        let x = NDArray([1.0, 2.0]), y = NDArray([3.0, 4.0])
        assertValues(try f(x, y)[0], [4, 6])
        assertValues(try f.call([x, y])[0], [4, 6])
        let g = try function([], [Tensor(2.0) * 3])
        assertValues(try g()[0], [6])
    }

    func testIntegerInputs() throws {
        let i = Tensor.vector("i", .int32)
        let f = try function([i], [i * 2])
        let out = try f([1, 2, 3])
        XCTAssertEqual(out[0].dtype, .int32)
        assertValues(out[0], [2, 4, 6])
        assertValues(try f([1.0, -2.0])[0], [2, -4])  // integral doubles are exact
        assertValues(try f([true, false])[0], [2, 0])
        assertValues(try f([Int8(3)])[0], [6])
    }

    func testLossyConversionsThrowNamingInputAndValue() throws {
        let i = Tensor.vector("i", .int32)
        let f = try function([i], [i * 2])
        assertThrows(.typeMismatch, containing: ["argument 0 ('i')", "3.5", "int32", "not an integer", "allowInputDowncast"]) {
            try f([1, 3.5])
        }
        assertThrows(.typeMismatch, containing: ["[1]", "3.5"]) { try f([1, 3.5]) }
        assertThrows(.typeMismatch, containing: ["5000000000", "beyond the range of int32"]) { try f([5_000_000_000]) }
        assertThrows(.typeMismatch, containing: ["nan", "not a finite number"]) { try f([Double.nan]) }

        let u = Tensor.scalar("u", .uint8)
        let g = try function([u], [u])
        assertThrows(.typeMismatch, containing: ["300", "uint8"]) { try g(300) }
        assertThrows(.typeMismatch, containing: ["-1", "uint8"]) { try g(-1) }
        assertValues(try g(255)[0], [255])

        let b = Tensor.scalar("b", .bool)
        let h = try function([b], [b])
        assertValues(try h(1)[0], [1])
        assertThrows(.typeMismatch, containing: ["2", "only 0 and 1"]) { try h(2) }
    }

    func testFloat32TakesRoundedFloatsButNotOverflowOrInexactIntegers() throws {
        let x = Tensor.scalar("x", .float32)
        let f = try function([x], [x])
        XCTAssertEqual(try f(0.1)[0].item(Float.self), Float(0.1))
        let v = Tensor.vector("v", .float32)
        XCTAssertEqual(try function([v], [v])([0.1, 0.2])[0].toArray(of: Float.self), [0.1, 0.2])  // arrays round too
        XCTAssertEqual(try f(3)[0].item(Float.self), 3)
        XCTAssertEqual(try f(16_777_216)[0].item(Float.self), 16_777_216)
        assertThrows(.typeMismatch, containing: ["16777217", "not exactly representable in float32"]) { try f(16_777_217) }
        assertThrows(.typeMismatch, containing: ["1e+40", "overflows float32"]) { try f(1e40) }
        XCTAssertEqual(try f(Double.infinity)[0].item(Float.self), .infinity)  // infinity stays infinity
        XCTAssertTrue(try f(Double.nan)[0].item(Float.self).isNaN)

        let d = Tensor.scalar("d", .float64)
        let g = try function([d], [d])
        XCTAssertEqual(try g(Int(1) << 53)[0].item(Double.self), 9_007_199_254_740_992)
        assertThrows(.typeMismatch, containing: ["9007199254740993", "float64"]) { try g((Int(1) << 53) + 1) }
    }

    func testNDArraysConvertOnlyToDTypesHoldingEveryValue() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [x])
        XCTAssertEqual(try f(NDArray([1, 2] as [Float]))[0].dtype, .float64)
        XCTAssertEqual(try f(NDArray([1, 2] as [Int32]))[0].dtype, .float64)
        let y = Tensor.vector("y", .float32)
        let g = try function([y], [y])
        XCTAssertEqual(try g(NDArray([1, 2] as [Int16]))[0].dtype, .float32)
        assertThrows(.typeMismatch, containing: ["argument 0 ('y')", "float32", "float64", ".astype(.float32)"]) {
            try g(NDArray([1.0, 2.0]))
        }
        assertThrows(.typeMismatch, containing: ["int32"]) { try g(NDArray([1, 2] as [Int32])) }
    }

    func testAllowInputDowncast() throws {
        let i = Tensor.vector("i", .int32)
        let f = try function([i], [i], allowInputDowncast: true)
        assertValues(try f([1.9, -2.9])[0], [1, -2])
        assertValues(try f(NDArray([1.5, 2.5]))[0], [1, 2])
        let x = Tensor.scalar("x", .float32)
        let g = try function([x], [x], allowInputDowncast: true)
        XCTAssertEqual(try g(1e40)[0].item(Float.self), .infinity)
        XCTAssertEqual(try g(16_777_217)[0].item(Float.self), 16_777_216)
        // Per input, with In.
        let h = try function([In(i, allowDowncast: true), In(x)], [i.cast(.float32) + x])
        assertValues(try h([2.5], 1)[0], [3])
        assertThrows(.typeMismatch, containing: ["argument 1 ('x')", "1e+40"]) { try h([2.5], 1e40) }
    }

    func testShapesAndRaggedArrays() throws {
        let x = Tensor.matrix("x", .float64, shape: [nil, 2])
        let f = try function([x], [x.sum()])
        assertValues(try f([[1, 2], [3, 4], [5, 6]])[0], [21])
        assertThrows(.shapeMismatch, containing: ["ragged", "element 1", "[1]", "[2]"]) { try f([[1, 2], [3]]) }
        assertThrows(.typeMismatch, containing: ["argument 0 ('x')", "size 2 at axis 1"]) { try f([[1, 2, 3]]) }
        assertThrows(.typeMismatch, containing: ["rank 2", "rank 1"]) { try f([1, 2]) }
        assertThrows(.typeMismatch, containing: ["rank 2", "rank 0"]) { try f(1) }
        let cube = Tensor.tensor3("c", .int64)
        let g = try function([cube], [cube])
        XCTAssertEqual(try g([[[1], [2]], [[3], [4]]])[0].shape, [2, 2, 1])
        // An array of NDArrays stacks them.
        XCTAssertEqual(try f([NDArray([1.0, 2.0]), NDArray([3.0, 4.0])])[0].item(Double.self), 10)
        let u = Tensor.scalar("u", .int64)
        let h = try function([u], [u])
        assertValues(try h(UInt64(7))[0], [7])
        assertThrows(.outOfRange, containing: ["beyond the range of every dtype"]) { try h(UInt64.max) }
    }
}
