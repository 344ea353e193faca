import Theano
import XCTest

final class MemoryReuseTests: XCTestCase {
    let options = CompileOptions(backend: .cpu)

    func testValuesReturnedToTheCallerAreNeverOverwritten() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x) * 2, x + 1], options: options)
        let first = try f(try NDArray.full([10_000], 1, .float64))
        let second = try f(try NDArray.full([10_000], 2, .float64))
        XCTAssertTrue(first[0].doubles.allSatisfy { abs($0 - 2 * M_E) < 1e-12 })
        XCTAssertTrue(first[1].doubles.allSatisfy { $0 == 2 })
        XCTAssertTrue(second[1].doubles.allSatisfy { $0 == 3 })
    }

    func testDroppedResultsAreReusedAndStillCorrect() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [tanh(x) + x * 3], options: options)
        for i in 0..<5 {
            let v = Double(i) / 10
            let out = try f(try NDArray.full([10_000], v, .float64))[0]
            XCTAssertEqual(out.doubles[9_999], Foundation.tanh(v) + v * 3, accuracy: 1e-12)
        }
    }

    func testSharedVariableValuesSurviveLaterCalls() throws {
        let w = Shared(try NDArray.full([10_000], 1, .float64), name: "w")
        let f = try function([], [w * 1], updates: [w: w * 2], options: options)
        let before = w.value
        _ = try f()
        let after = w.value
        _ = try f()
        XCTAssertTrue(before.doubles.allSatisfy { $0 == 1 })
        XCTAssertTrue(after.doubles.allSatisfy { $0 == 2 })
        XCTAssertTrue(w.value.doubles.allSatisfy { $0 == 4 })
    }
}

import Foundation
