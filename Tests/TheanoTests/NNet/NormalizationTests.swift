import Foundation
import Theano
import XCTest

/// Batch and layer normalisation: values and statistics against NumPy, running-average
/// updates through `function(updates:)`, finite-difference gradients, shapes and bad inputs.
final class NormalizationTests: BackendTestCase {
    let x = try! NDArray([1.0, -2, 0.5, 3, 0, 0.5, -1, 4, 0.5, 2, 1, 0.5], shape: [4, 3])
    let gamma = NDArray([1.0, 0.5, 2]), beta = NDArray([0.0, 1, -1])
    var data = TestData(seed: 90)

    func testBatchNormalizationTrainAgainstNumPy() throws {
        for dtype in [DType.float32, .float64] {
            let input = Tensor.matrix("x", dtype), g = Tensor.vector("g", dtype), b = Tensor.vector("b", dtype)
            let bn = try batchNormalizationTrain(input, g, b)
            XCTAssertEqual(bn.output.type, input.type)
            XCTAssertEqual(bn.mean.rank, 1)
            let r = try function([input, g, b], [bn.output, bn.mean, bn.variance, bn.invStd, bn.count])
                .call([x.astype(dtype), gamma.astype(dtype), beta.astype(dtype)])
            let tol = dtype == .float32 ? 1e-5 : 1e-12
            // (x - x.mean(0)) / sqrt(x.var(0) + 1e-5) * g + b; the last column is constant.
            assertValues(r[0], [-0.1690304645907972, 0.3649153813146435, -1.0, 1.1832132521355805, 0.8267951039949029, -1.0,
                                -1.5212741813171748, 1.7505545493554213, -1.0, 0.5070913937723917, 1.0577349653350323, -1.0], rtol: tol, atol: tol)
            assertValues(r[1], [1.25, 0.75, 0.5], rtol: tol)
            assertValues(r[2], [2.1875, 4.6875, 0], rtol: tol, atol: tol)
            assertValues(r[3], [0.6761218583631888, 0.46187972268025923, 316.2277660168379], rtol: tol)
            XCTAssertEqual(try r[4].item(Int.self), 4)
        }
    }

    func testSpatialBatchNormalizationWithKeepdimsParameters() throws {
        let value = NDArray((0..<24).map { Foundation.pow(Double($0), 1.5) / 10 }).reshapedOrFail([2, 3, 2, 2])
        let input = Tensor.tensor4("x", .float64), g = Tensor.variable("g", .float64, shape: [1, 3, 1, 1]), b = Tensor.vector("b", .float64)
        let bn = try batchNormalizationTrain(input, g, b, axes: [0, 2, 3], epsilon: 1e-3)
        let r = try function([input, g, b], [bn.output, bn.mean, bn.variance]).call([value, gamma.reshapedOrFail([1, 3, 1, 1]), beta])
        assertValues(r[0], [-1.0751700986568908, -1.0338062500493692, -0.9581754672714822, -0.8602372365024475, 0.4254976078126712,
                            0.4773900442462261, 0.534769089936231, 0.5971528081817663, -3.3458923089896424, -3.101579043356766,
                            -2.8432864855427322, -2.57173396223332, 0.6442927985786538, 0.8636431037074387, 1.0916007969713535,
                            1.327852353222742, 1.3392290148555714, 1.438642920727901, 1.5410254925769231, 1.6462930216627103,
                            0.3873392027305391, 0.7667995589458969, 1.1554057254521513, 1.5529473129938753], rtol: 1e-12, atol: 1e-12)
        assertValues(r[1], [2.5992989889760527, 4.320961818157128, 6.461289334249186], rtol: 1e-12)
        assertValues(r[2], [5.843644765908073, 9.38928896602824, 12.811740139117703], rtol: 1e-12)
        try checkInferShape(bn.output, [input, g, b], [value, gamma.reshapedOrFail([1, 3, 1, 1]), beta])
    }

    func testBatchNormalizationInferenceAndRunningUpdates() throws {
        let input = Tensor.matrix("x", .float64), g = Tensor.vector("g", .float64), b = Tensor.vector("b", .float64)
        let mean = Tensor.vector("m", .float64), variance = Tensor.vector("v", .float64)
        let out = try batchNormalizationInference(input, g, b, mean: mean, variance: variance)
        let r = try function([input, g, b, mean, variance], [out]).call([x, gamma, beta, NDArray([0.5, 1, 0]), NDArray([1.0, 4, 0.25])])
        assertValues(r[0], [0.4999975000187499, 0.25000093749824226, 0.9999600011999599, 2.4999875000937495, 0.7500003124994141,
                            0.9999600011999599, -1.4999925000562495, 1.7499990625017579, 0.9999600011999599, 1.4999925000562495,
                            1.0, 0.9999600011999599], rtol: 1e-12)

        let runningMean = Shared(NDArray([0.5, 0.5, 0.5]), name: "runningMean")
        let runningVariance = Shared(NDArray([2.0, 2, 2]), name: "runningVariance")
        let bn = try batchNormalizationTrain(input, g, b)
        let updates = try batchNormRunningUpdates(mean: bn.mean, variance: bn.variance, runningMean: runningMean,
                                                  runningVariance: runningVariance, count: bn.count)
        XCTAssertEqual(updates.count, 2)
        _ = try function([input, g, b], [bn.output], updates: updates).call([x, gamma, beta])
        // 0.9 * running + 0.1 * batch, the variance made unbiased (* 4 / 3).
        assertValues(runningMean.value, [0.575, 0.525, 0.5], rtol: 1e-12)
        assertValues(runningVariance.value, [2.091666666666667, 2.425, 1.8], rtol: 1e-12)
        let biased = try batchNormRunningUpdates(mean: bn.mean, variance: bn.variance, runningMean: runningMean,
                                                 runningVariance: runningVariance, momentum: 0.5)
        _ = try function([input, g, b], [bn.output], updates: biased).call([x, gamma, beta])
        assertValues(runningVariance.value, [(2.091666666666667 + 2.1875) / 2, (2.425 + 4.6875) / 2, 0.9], rtol: 1e-12)
    }

    func testLayerNormalization() throws {
        let value = try NDArray([1.0, 2, 3, 6, -1, 0, 0, 1], shape: [2, 4])
        for dtype in [DType.float32, .float64] {
            let input = Tensor.matrix("x", dtype), g = Tensor.vector("g", dtype), b = Tensor.vector("b", dtype)
            let out = try layerNormalization(input, g, b)
            XCTAssertEqual(out.type, input.type)
            let r = try function([input, g, b], [out]).call([value.astype(dtype), NDArray([1.0, 2, 0.5, 1]).astype(dtype), NDArray([0.0, 0, 1, -1]).astype(dtype)])
            assertValues(r[0], [-1.0690434404458735, -1.0690434404458735, 1.0, 0.6035651606688102, -1.4141994204496, 0.0, 1.0, 0.4141994204496],
                         rtol: dtype == .float32 ? 1e-5 : 1e-12, atol: 1e-6)
        }
        // Over axis 0 of the transpose, with parameters of that axis's size: the transpose.
        let input = Tensor.matrix("x", .float64), g = Tensor.vector("g", .float64), b = Tensor.vector("b", .float64)
        let out = try layerNormalization(input, g, b, axis: 0)
        let values = [try value.transposed(), NDArray([1.0, 2, 0.5, 1]), NDArray([0.0, 0, 1, -1])]
        let r = try function([input, g, b], [out]).call(values)
        assertValues(r[0], [-1.0690434404458735, -1.4141994204496, -1.0690434404458735, 0, 1, 1, 0.6035651606688102, 0.4141994204496], rtol: 1e-12, atol: 1e-12)
        try checkInferShape(out, [input, g, b], values)
    }

    func testGradients() throws {
        let point = data.array([5, 3])
        try verifyGrad({ v in try batchNormalizationTrain(v[0], v[1], v[2]).output }, at: [point, data.array([3]), data.array([3])])
        try verifyGrad({ v in
            let bn = try batchNormalizationTrain(v[0], v[1], v[2], axes: [0, 2])
            return try bn.output + bn.mean.sum() + bn.invStd.sum()
        }, at: [data.array([2, 3, 2]), data.array([3]), data.array([3])])
        try verifyGrad({ v in try batchNormalizationInference(v[0], v[1], v[2], mean: v[3], variance: v[4]) },
                       at: [point, data.array([3]), data.array([3]), data.array([3]), data.array([3], low: 0.5, high: 2)])
        try verifyGrad({ v in try layerNormalization(v[0], v[1], v[2]) }, at: [data.array([2, 4]), data.array([4]), data.array([4])])
    }

    func testBadInputs() throws {
        let input = Tensor.matrix("x", .float32, shape: [4, 3])
        let wrong = Tensor.vector("gamma", .float32, size: 4), right = Tensor.vector("beta", .float32, size: 3)
        assertThrows(.shapeMismatch, containing: ["batchNormalizationTrain", "gamma", "[4]", "[4, 3]"]) { try batchNormalizationTrain(input, wrong, right) }
        assertThrows(.shapeMismatch, containing: ["batchNormalizationInference", "mean", "[4]", "[4, 3]"]) {
            try batchNormalizationInference(input, right, right, mean: wrong, variance: right)
        }
        assertThrows(.shapeMismatch, containing: ["layerNormalization", "gamma", "[4]", "[4, 3]"]) { try layerNormalization(input, wrong, right) }
        assertThrows(.shapeMismatch, containing: ["batchNormalizationTrain", "[4, 3]"]) { try batchNormalizationTrain(input, Tensor.tensor3("m"), right) }
        assertThrows(.outOfRange, containing: ["batchNormalizationTrain", "axis 2"]) { try batchNormalizationTrain(input, right, right, axes: [2]) }
        assertThrows(.invalidArgument, containing: ["batchNormalizationTrain", "twice"]) { try batchNormalizationTrain(input, wrong, wrong, axes: [1, -1]) }
        assertThrows(.outOfRange, containing: ["layerNormalization", "axis -3"]) { try layerNormalization(input, right, right, axis: -3) }
        let running = Shared(NDArray([0.0, 0]), name: "running")
        assertThrows(.shapeMismatch, containing: ["batchNormRunningUpdates", "running"]) {
            try batchNormRunningUpdates(mean: right, variance: right, runningMean: running, runningVariance: running)
        }
    }
}

private extension NDArray {
    func reshapedOrFail(_ shape: [Int]) -> NDArray { (try? reshaped(shape)) ?? self }
}
