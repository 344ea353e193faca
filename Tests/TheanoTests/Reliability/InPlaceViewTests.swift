import Theano
import XCTest

/// A buffer is written in place only when it is uniquely owned and every element has its own
/// memory: never through a broadcast view, never into storage someone else holds.
final class InPlaceViewTests: XCTestCase {
    let backends = [CompileOptions(backend: .cpu), CompileOptions(backend: .reference)]

    func testAnUpdateOfABroadcastValueIsNotWrittenThroughTheView() throws {
        for options in backends {
            let w = Shared(NDArray([0.0, 0, 0, 0]), name: "w")
            try w.setValue(try NDArray.full([1], 1, .float64).broadcast(to: [4]))
            let x = Tensor.vector("x", .float64)
            let f = try function([x], [], updates: [w: w + x], options: options)
            _ = try f(NDArray([1.0, 2, 3, 4]))
            assertValues(w.value, [2, 3, 4, 5])
            _ = try f(NDArray([1.0, 2, 3, 4]))
            assertValues(w.value, [3, 5, 7, 9])
        }
    }

    func testUpdatesOfViewsLeaveTheirBaseAlone() throws {
        for options in backends {
            let base = try NDArray([[1.0, 2], [3, 4]])
            // A transposed view and a strided slice of arrays the caller keeps.
            for value in [base.T, try NDArray([1.0, 2, 3, 4, 5, 6]).slice([.slice(start: nil, stop: nil, step: 2)])] {
                let before = base.doubles
                let w = Shared(value, name: "w")
                let g = Tensor.variable("g", .float64, shape: value.shape.map { Optional($0) })
                let f = try function([g], [], updates: [w: w - 0.5 * g], options: options)
                _ = try f(try NDArray.ones(value.shape, .float64))
                assertValues(w.value, value.doubles.map { $0 - 0.5 })
                XCTAssertEqual(base.doubles, before)
            }
        }
    }

    func testAnInPlaceGEMMUpdateOfABroadcastMatrix() throws {
        for options in backends {
            let W = Shared(try NDArray.zeros([2, 2], .float64), name: "W")
            try W.setValue(try NDArray([[1.0, 2]]).broadcast(to: [2, 2]))
            let x = Tensor.matrix("x", .float64)
            let f = try function([x], [], updates: [W: W + x.matmul(x)], options: options)
            _ = try f(NDArray.eye(2, nil, .float64))
            assertValues(W.value, [2, 2, 1, 3])
        }
    }

    func testAnArrayTheCallerHoldsNeverChanges() throws {
        for options in backends {
            let w = Shared(NDArray([1.0, 2, 3]), name: "w")
            let held = w.value
            let f = try function([], [], updates: [w: w * 2], options: options)
            _ = try f()
            assertValues(held, [1, 2, 3])
            assertValues(w.value, [2, 4, 6])
        }
    }
}
