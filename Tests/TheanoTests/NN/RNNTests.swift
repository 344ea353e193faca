import Foundation
import Theano
import TheanoNN
import XCTest

/// The recurrent layer (`SimpleRNN`, a `scan`): its values against the same loop unrolled with
/// plain ops, its gradient against finite differences and the unrolled loop's, and training
/// on a few digits; on every backend.
final class RNNTests: BackendTestCase {
    /// The states of `h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)` unrolled over `x`'s time axis
    /// (`x` is `[batch, time, inputs]`).
    private func unrolled(_ x: Tensor, _ wx: Tensor, _ wh: Tensor, _ b: Tensor, steps: Int, batch: Tensor, units: Int) throws -> [Tensor] {
        var h = try zeros([batch, Tensor(integerLiteral: units)], x.dtype)
        var states: [Tensor] = []
        for t in 0..<steps {
            h = try tanh(x[.all, t].matmul(wx) + h.matmul(wh) + b)
            states.append(h)
        }
        return states
    }

    func testForwardMatchesTheUnrolledLoop() throws {
        let steps = 3, inputs = 2, units = 4
        let layers = try [SimpleRNN.Output.last, .mean, .sequence].map { try SimpleRNN(inputs, units, output: $0, seed: 5) }
        let x = Tensor.tensor3("x", .float32)
        let outputs = try layers.map { try $0(x) }
        let layer = layers[0]
        let states = try unrolled(x, layer.inputWeight, layer.recurrentWeight, layer.bias, steps: steps, batch: x.shape(0), units: units)
        let expected = [states[steps - 1], try stack(states, axis: 0).mean(axis: 0), try stack(states, axis: 1)]
        let f = try function([x], outputs + expected)
        var rng = RandomGenerator(seed: 3)
        let xv = try NDArray.randomNormal([2, steps, inputs], using: &rng, .float32)
        let r = try f(xv)
        XCTAssertEqual(r[0].shape, [2, units])
        XCTAssertEqual(r[2].shape, [2, steps, units])
        for k in 0..<3 { assertClose(r[k], r[3 + k], rtol: 1e-5, atol: 1e-6) }
        // The layers share their seed, so their weights are equal and so are their last states.
        XCTAssertEqual(layers[1].recurrentWeight.value.doubles, layer.recurrentWeight.value.doubles)
    }

    func testGradientThroughTime() throws {
        // Finite differences, float64, every input of the recurrence.
        let points = try [[3, 2, 2], [2, 3], [3, 3], [3]].enumerated().map { i, shape in
            try NDArray.randomNormal(shape, std: 0.5, seed: UInt64(10 + i), .float64)
        }
        try verifyGrad({ v in
            try (SimpleRNN.recurrence(v[0], inputWeight: v[1], recurrentWeight: v[2], bias: v[3])[-1] ** 2).sum()
        }, at: points)

        // The layer's parameter gradients equal those of the unrolled loop.
        let layer = try SimpleRNN(2, 3, seed: 1)
        let x = Tensor.tensor3("x", .float32)
        let params = layer.parameters.map(\.value)
        let loss = try (layer(x) ** 2).sum()
        let states = try unrolled(x, layer.inputWeight, layer.recurrentWeight, layer.bias, steps: 4, batch: x.shape(0), units: 3)
        let unrolledLoss = try (states[3] ** 2).sum()
        let f = try function([x], [loss] + grad(loss, wrt: params) + [unrolledLoss] + grad(unrolledLoss, wrt: params))
        let xv = try NDArray.randomNormal([2, 4, 2], seed: 4, .float32)
        let r = try f(xv)
        for k in 0..<4 { assertClose(r[k], r[4 + k], rtol: 1e-4, atol: 1e-5) }
    }

    func testTrainingOnAFewDigitsReducesTheLoss() throws {
        let (train, _) = try Digits.load()
        let subset = try train.subset(Array(0..<64))
        let model = try Models.rnn(steps: 8, inputs: 8, hidden: 8, classes: 10, learningRate: 0.02, seed: 2)
        var rng: RandomGenerator? = RandomGenerator(seed: 3)
        var losses: [Double] = []
        for _ in 0..<4 { losses.append(try model.trainEpoch(subset, batchSize: 32, rng: &rng)) }
        XCTAssertLessThan(losses.last ?? 1, losses.first ?? 0, "losses \(losses)")
        // The inference graph compiles and runs too.
        XCTAssertEqual(try model.accuracy(subset) * 64, (try model.accuracy(subset) * 64).rounded())
    }

    func testRejectsWrongInputs() throws {
        let layer = try SimpleRNN(3, 4)
        assertThrows(.typeMismatch, containing: ["rank 3"]) { _ = try layer(Tensor.matrix("x", .float32)) }
        assertThrows(.shapeMismatch, containing: ["5 features", "expects 3"]) {
            _ = try layer(Tensor.variable("x", .float32, shape: [nil, 2, 5]))
        }
        assertThrows(.invalidArgument, containing: ["positive"]) { _ = try SimpleRNN(0, 4) }
    }
}
