import Theano
import XCTest

/// The destroy handler's rules: what may be overwritten, and that nothing else is.
final class InplaceTests: XCTestCase {
    let linkers = [CompileOptions(backend: .cpu), CompileOptions(backend: .reference)]

    func testSGDUpdatesRewriteTheWeightsInPlace() throws {
        for options in linkers {
            let w = Shared(try NDArray.randomNormal([6, 4], seed: 1, .float64), name: "w")
            let x = Tensor.matrix("x", .float64), g = Tensor.matrix("g", .float64)
            let step = try function([x, g], [], updates: [w: w - 0.5 * x.transposed().matmul(g)], options: options)
            XCTAssertTrue(step.debugDescription().contains("Gemm{T,N,inplace}"), step.debugDescription())
            let xv = try NDArray.randomNormal([3, 6], seed: 2, .float64), gv = try NDArray.randomNormal([3, 4], seed: 3, .float64)
            let held = w.value  // a caller holding the old weights
            let expected = try function([x, g], [w - 0.5 * x.transposed().matmul(g)], mode: .unoptimized, options: options)(xv, gv)[0]
            _ = try step(xv, gv)
            assertClose(w.value, expected, rtol: 1e-12, atol: 1e-12)
            XCTAssertFalse(held == w.value, "the held array is not the updated one")
            let heldValues = held.doubles
            _ = try step(xv, gv)
            XCTAssertEqual(held.doubles, heldValues, "an array the caller holds never changes")
        }
    }

    func testASharedVariableAnotherOutputReadsIsComputedBeforeTheUpdate() throws {
        for options in linkers {
            let w = Shared(try NDArray.full([3], 1, .float64), name: "w")
            let f = try function([], [w * 2, w], updates: [w: w + 1], options: options)
            let out = try f()
            assertValues(out[0], [2, 2, 2])
            assertValues(out[1], [1, 1, 1])
            assertValues(w.value, [2, 2, 2])
            assertValues(out[1], [1, 1, 1])  // the returned value is not the updated buffer
        }
    }

    func testValuesWithSeveralReadersAreNotOverwritten() throws {
        let x = Tensor.vector("x", .float64)
        let a = try exp(x)
        let f = try function([x], [(a + 1) * (a * 2), a], options: CompileOptions(backend: .cpu))
        let input = NDArray([0.0, 1.0])
        let out = try f(input)
        assertValues(out[1], [1, M_E])
        assertValues(out[0], [2 * 2, (M_E + 1) * 2 * M_E])
        assertValues(input, [0, 1], rtol: 0, atol: 0)
    }

    func testFunctionInputsAreNeverOverwritten() throws {
        for options in linkers {
            let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
            let f = try function([x, y], [tanh(x) * y + 1], options: options)
            let xv = try NDArray.full([5000], 0.5, .float64), yv = try NDArray.full([5000], 2, .float64)
            _ = try f(xv, yv)
            XCTAssertTrue(xv.doubles.allSatisfy { $0 == 0.5 })
            XCTAssertTrue(yv.doubles.allSatisfy { $0 == 2 })
        }
    }

    func testElementwiseUpdatesOfSharedVariablesGoInPlace() throws {
        let b = Shared(try NDArray.full([4096], 1, .float32), name: "b")
        let g = Tensor.vector("g", .float32)
        let step = try function([g], [], updates: [b: b - 0.5 * g], options: CompileOptions(backend: .cpu))
        XCTAssertTrue(step.debugDescription().contains("inplace"), step.debugDescription())
        _ = try step(try NDArray.full([4096], 1, .float32))
        XCTAssertTrue(b.value.doubles.allSatisfy { $0 == 0.5 })
    }

    /// A gradient's `zeros` with one row incremented: the increment writes into the zeros'
    /// buffer (nothing else reads it), a function input is never the one written.
    func testIncSubtensorOfAnIntermediateGoesInPlace() throws {
        for options in linkers {
            let x = Tensor.matrix("x", .float64), y = Tensor.vector("y", .float64)
            let f = try function([x, y], [incSubtensor((x * 2)[-1], y)], options: options)
            XCTAssertTrue(f.debugDescription().contains("IncSubtensor{-1,inplace}"), f.debugDescription())
            let xv = try NDArray([1.0, 2, 3, 4, 5, 6], shape: [3, 2]), yv = NDArray([10.0, 20])
            assertValues(try f(xv, yv)[0], [2, 4, 6, 8, 20, 32], shape: [3, 2])
            assertValues(xv, [1, 2, 3, 4, 5, 6], rtol: 0, atol: 0)
            // On a function input directly: a copy, never the caller's array.
            let g = try function([x, y], [setSubtensor(x[0], y)], options: options)
            XCTAssertFalse(g.debugDescription().contains("inplace"), g.debugDescription())
            assertValues(try g(xv, yv)[0], [10, 20, 3, 4, 5, 6], shape: [3, 2])
            assertValues(xv, [1, 2, 3, 4, 5, 6], rtol: 0, atol: 0)
            // Read elsewhere too: not overwritten.
            let twice = try x * 2
            let h = try function([x, y], [setSubtensor(twice[0], y), twice], options: options)
            XCTAssertFalse(h.debugDescription().contains("inplace"), h.debugDescription())
            let out = try h(xv, yv)
            assertValues(out[0], [10, 20, 6, 8, 10, 12], shape: [3, 2])
            assertValues(out[1], [2, 4, 6, 8, 10, 12], shape: [3, 2])
        }
    }

    func testDebugModeAcceptsDeclaredOverwrites() throws {
        let w = Shared(try NDArray.randomNormal([5, 4], seed: 1, .float64), name: "w")
        let x = Tensor.matrix("x", .float64), g = Tensor.matrix("g", .float64)
        let step = try function([x, g], [], updates: [w: w - 0.1 * x.transposed().matmul(g)], mode: .debug, options: CompileOptions(backend: .cpu))
        XCTAssertNoThrow(try step(try NDArray.randomNormal([2, 5], seed: 2, .float64), try NDArray.randomNormal([2, 4], seed: 3, .float64)))
    }
}

import Foundation
