import Theano
import XCTest

/// Inputs with default values and names (`In`), and calls with named arguments.
final class FunctionInputTests: BackendTestCase {
    func testDefaultValuesAndNamedArguments() throws {
        let x = Tensor.vector("x", .float64)
        let w = Tensor.scalar("w", .float64)
        let b = Tensor.scalar("b", .float64)
        let f = try function([x, In(w, value: 3), In(b, value: 0.5, name: "bias")], [x * w + b])
        assertValues(try f([1, 2])[0], [3.5, 6.5])
        assertValues(try f([1, 2], 2)[0], [2.5, 4.5])
        assertValues(try f([1, 2], w: 10)[0], [10.5, 20.5])
        assertValues(try f([1, 2], bias: 1)[0], [4, 7])
        assertValues(try f([1, 2], bias: 1, w: 0)[0], [1, 1])
        assertValues(try f(x: [1, 2], w: 1, bias: 0)[0], [1, 2])
        assertValues(try f([1, 2], 1, 1)[0], [2, 3])
        XCTAssertEqual(f.inputNames, ["x", "w", "bias"])
        // The array form.
        assertValues(try f.call([NDArray([1.0, 2.0])])[0], [3.5, 6.5])
        assertValues(try f.call([[1.0, 2.0]], named: [("w", 2)])[0], [2.5, 4.5])
    }

    func testBindingErrors() throws {
        let x = Tensor.vector("x", .float64)
        let w = Tensor.scalar("w", .float64)
        let f = try function([x, In(w, value: 3)], [x * w])
        assertThrows(.invalidArgument, containing: ["no input is named 'q'", "x, w"]) { try f([1], q: 2) }
        assertThrows(.invalidArgument, containing: ["'w'", "given twice", "position 1"]) { try f([1], 2, w: 2) }
        assertThrows(.invalidArgument, containing: ["'w'", "given twice"]) { try f([1], w: 2, w: 3) }
        assertThrows(.invalidArgument, containing: ["no value for argument 0 ('x')", "no default"]) { try f(w: 2) }
        assertThrows(.invalidArgument, containing: ["expected 2 arguments (x, w)", "got 3"]) { try f([1], 2, 3) }
        assertThrows(.invalidArgument, containing: ["positional argument follows the named argument 'w'"]) {
            try f(w: 2, [1.0])
        }
        let g = try function([x, w], [x * w])
        assertThrows(.invalidArgument, containing: ["no value for argument 1 ('w')", "expected 2 arguments (x, w), got 1"]) {
            try g([1])
        }
        // Two inputs of the same name cannot be passed by name.
        let a = Tensor.scalar("a", .float64), a2 = Tensor.scalar("a", .float64)
        let h = try function([a, a2], [a - a2])
        assertValues(try h(3, 1)[0], [2])
        assertThrows(.invalidArgument, containing: ["both named 'a'"]) { try h(3, a: 1) }
    }

    func testDefaultValuesAreConvertedAndChecked() throws {
        let i = Tensor.vector("i", .int32)
        let f = try function([In(i, value: [1, 2])], [i * 2])
        XCTAssertEqual(try f()[0].dtype, .int32)
        assertValues(try f()[0], [2, 4])
        assertThrows(.typeMismatch, containing: ["argument 0 ('i')", "2.5", "int32"]) {
            try function([In(i, value: [2.5])], [i])
        }
        assertThrows(.typeMismatch, containing: ["default value", "rank 1"]) {
            try function([In(i, value: 2)], [i])
        }
        let g = try function([In(i, value: [2.5], allowDowncast: true)], [i])
        assertValues(try g()[0], [2])
    }

    func testSharedUpdatesWithNamedArguments() throws {
        let total = Shared(NDArray(scalar: 0.0), name: "total")
        let step = Tensor.scalar("step", .float64)
        let f = try function([In(step, value: 1)], [total], updates: [total: total + step])
        _ = try f()
        _ = try f(step: 2)
        XCTAssertEqual(try total.value.item(Double.self), 3)
    }
}
