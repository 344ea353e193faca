import Foundation
import CDNNL
import Theano
@testable import TheanoArray
@testable import TheanoCompile
import Synchronization
import XCTest

/// The oneDNN wrappers (GEMM, convolution, pooling, batch normalisation) against plain loops
/// written here, on random inputs and geometries chosen to reach every parameter: groups and
/// depthwise, strides, dilations, asymmetric padding, batch 1, channel 1, 1 to 3 spatial axes.
final class DNNLTests: XCTestCase {
    // MARK: Helpers

    /// Deterministic values in [-1, 1).
    struct Values {
        var state: UInt64
        mutating func next(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Double(state >> 11) / Double(1 << 53)) * 2 - 1
            }
        }
    }

    func array(_ values: [Float], _ shape: [Int]) throws -> NDArray { try NDArray(values, shape: shape) }

    /// Every index tuple of `shape`, in C order.
    func positions(_ shape: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for size in shape { result = result.flatMap { p in (0..<size).map { p + [$0] } } }
        return result
    }

    func flat(_ index: [Int], _ shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    func assertClose(_ got: NDArray, _ want: [Double], _ what: String, tolerance: Double = 1e-4,
                     file: StaticString = #filePath, line: UInt = #line) {
        let g = got.toArray(of: Float.self)
        XCTAssertEqual(g.count, want.count, "\(what): element count", file: file, line: line)
        let scale = max(1, want.map(abs).max() ?? 1)
        let worst = zip(g, want).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance * scale, "\(what): largest difference \(worst)", file: file, line: line)
    }

    // MARK: GEMM

    func naiveGemm(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                   b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = ta ? a[p * lda + i] : a[i * lda + p]
                    let bv = tb ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                out[i * n + j] = Double(alpha) * s + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return out
    }

    func testSGEMMAgainstLoopsInEveryTransposeForm() throws {
        var rng = Values(state: 1)
        for (m, n, k) in [(33, 40, 17), (64, 50, 80), (1, 7, 3), (40, 1, 5)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 0.25)] {
                    // Padded leading dimensions: rows are longer than the matrix.
                    let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1
                    let a = rng.next((ta ? k : m) * lda), b = rng.next((tb ? n : k) * ldb)
                    // NaNs in C must not leak through when beta is 0 (C is not read).
                    var c = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : rng.next(m * ldc)
                    let want = naiveGemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                         beta: beta, c: c, ldc: ldc)
                    let status = c.withUnsafeMutableBufferPointer { pc in
                        oneDNNSGEMM(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                    b: b, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                    }
                    XCTAssertEqual(status, dnnl_success)
                    let got = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
                    assertClose(try array(got, [m, n]), want, "sgemm \(m)x\(n)x\(k) \(ta) \(tb) beta \(beta)")
                }
            }
        }
    }

    func testTheMatmulPrimitiveComputesATimesBTransposed() throws {
        let matmul = try XCTUnwrap(DNNLMatmulPrimitives.shared, "oneDNN creates a CPU engine")
        var rng = Values(state: 7)
        for (m, n, k) in [(33, 40, 17), (128, 64, 96), (1, 7, 3), (40, 1, 5), (32, 128, 128)] {
            for (alpha, beta) in [(Float(1), Float(0)), (-0.01, 1), (0.5, 0.25)] {
                for repeatCall in 0..<2 {  // the second call reuses the cached primitive
                    let lda = k + 3, ldb = k + 2, ldc = n + 1
                    let a = rng.next(m * lda), b = rng.next(n * ldb)
                    var c = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : rng.next(m * ldc)
                    let want = naiveGemm(false, true, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                         beta: beta, c: c, ldc: ldc)
                    let done = c.withUnsafeMutableBufferPointer { pc in
                        matmul.multiplyTransposed(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                                  beta: beta, c: pc.baseAddress!, ldc: ldc)
                    }
                    XCTAssertTrue(done, "\(m)x\(n)x\(k)")
                    let got = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
                    assertClose(try array(got, [m, n]), want, "matmul \(m)x\(n)x\(k) alpha \(alpha) beta \(beta) call \(repeatCall)")
                    // The padding between rows of C is left alone.
                    if ldc > n, m > 0, beta == 0 { XCTAssertTrue(c[n].isNaN) }
                }
            }
        }
        // Through NDArray.gemm, on a transposed view and from two threads at once.
        let a = try array(rng.next(64 * 48), [64, 48]), b = try array(rng.next(80 * 48), [80, 48])
        let want = try NDArray.gemm(alpha: 1, a, try b.transposed().contiguous())
        let results = Mutex<[NDArray]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            if let got = try? NDArray.gemm(alpha: 1, a, b.transposed()) { results.withLock { $0.append(got) } }
        }
        let gathered = results.withLock { $0 }
        XCTAssertEqual(gathered.count, 4)
        for got in gathered { TheanoTests.assertClose(got, want, rtol: 1e-5, atol: 1e-5) }
    }

    func testSGEMMRefusesBadLeadingDimensionsWithoutStopping() {
        let a = [Float](repeating: 1, count: 16), b = a
        var c = [Float](repeating: 0, count: 16)
        let status = c.withUnsafeMutableBufferPointer { pc in
            // lda 2 < k 4: invalid.
            oneDNNSGEMM(transposeA: false, transposeB: false, m: 4, n: 4, k: 4, alpha: 1, a: a, lda: 2,
                        b: b, ldb: 4, beta: 0, c: pc.baseAddress!, ldc: 4)
        }
        XCTAssertEqual(status, dnnl_invalid_arguments)
    }

    func testFloat32ProductsPickALibraryByShapeAndAgree() throws {
        XCTAssertEqual(SGEMMLibrary.choose(m: 128, n: 512, k: 784, openMPIsPassive: true), .oneDNN)
        XCTAssertEqual(SGEMMLibrary.choose(m: 128, n: 10, k: 512, openMPIsPassive: true), .openBLAS)
        XCTAssertEqual(SGEMMLibrary.choose(m: 128, n: 512, k: 784, openMPIsPassive: false), .openBLAS)
        var rng = Values(state: 2)
        for (m, n, k) in [(64, 48, 40), (64, 10, 40)] {
            let a = try array(rng.next(m * k), [m, k]), b = try array(rng.next(n * k), [n, k])
            let got = try NDArray.gemm(alpha: 1, a, b.transposed())
            let want = naiveGemm(false, true, m: m, n: n, k: k, alpha: 1, a: a.toArray(of: Float.self), lda: k,
                                 b: b.toArray(of: Float.self), ldb: k, beta: 0, c: [], ldc: n)
            assertClose(got, want, "NDArray.gemm \(m)x\(n)x\(k)")
        }
    }

    // MARK: Convolution

    /// Calls `visit(inputIndex, weightIndex, outputIndex)` for every product the correlation
    /// of `g` sums (positions in the padding are skipped).
    func convolutionTerms(_ g: DNNLConvGeometry, _ visit: (Int, Int, Int) -> Void) {
        let (cpg, opg) = (g.inChannels / g.groups, g.outChannels / g.groups)
        let outputs = positions(g.outputSpatial), kernels = positions(g.kernelSpatial)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let group = o / opg
                for y in outputs {
                    let yi = flat([n, o] + y, g.outputShape)
                    for c in 0..<cpg {
                        for k in kernels {
                            let x = (0..<g.spatialRank).map { y[$0] * g.stride[$0] + k[$0] * g.dilation[$0] - g.padBefore[$0] }
                            guard zip(x, g.inputSpatial).allSatisfy({ $0 >= 0 && $0 < $1 }) else { continue }
                            visit(flat([n, group * cpg + c] + x, g.inputShape), flat([o, c] + k, g.weightsShape), yi)
                        }
                    }
                }
            }
        }
    }

    /// Geometries that reach every parameter.
    var convolutionGeometries: [DNNLConvGeometry] {
        [
            // 2-d, plain.
            DNNLConvGeometry(batch: 2, inChannels: 3, outChannels: 4, inputSpatial: [7, 6], kernelSpatial: [3, 3]),
            // 2-d, groups, stride 2, asymmetric padding.
            DNNLConvGeometry(batch: 2, inChannels: 4, outChannels: 6, groups: 2, inputSpatial: [8, 7], kernelSpatial: [3, 2],
                             stride: [2, 2], padBefore: [1, 0], padAfter: [2, 1]),
            // 2-d depthwise, dilation 2, batch 1.
            DNNLConvGeometry(batch: 1, inChannels: 5, outChannels: 5, groups: 5, inputSpatial: [9, 8], kernelSpatial: [3, 3],
                             dilation: [2, 2], padBefore: [2, 2], padAfter: [2, 2]),
            // 1-d, channel 1, stride 2 and dilation 2.
            DNNLConvGeometry(batch: 3, inChannels: 1, outChannels: 2, inputSpatial: [11], kernelSpatial: [3],
                             stride: [2], dilation: [2], padBefore: [1], padAfter: [0]),
            // 3-d, mixed strides and padding.
            DNNLConvGeometry(batch: 1, inChannels: 2, outChannels: 3, inputSpatial: [5, 4, 6], kernelSpatial: [2, 3, 2],
                             stride: [1, 2, 1], padBefore: [0, 1, 1], padAfter: [1, 1, 0]),
            // Output channel 1, kernel as large as the padded input.
            DNNLConvGeometry(batch: 2, inChannels: 3, outChannels: 1, inputSpatial: [4, 4], kernelSpatial: [5, 5],
                             padBefore: [1, 0], padAfter: [0, 1]),
        ]
    }

    func testConvolutionForwardBackwardAgainstLoops() throws {
        var rng = Values(state: 3)
        for layout in [DNNLLayout.plain, .chosen, .channelsLast] {
            for g in convolutionGeometries {
                let xv = rng.next(shapeSize(g.inputShape)), wv = rng.next(shapeSize(g.weightsShape))
                let bv = rng.next(g.outChannels), dyv = rng.next(shapeSize(g.outputShape))
                var y = [Double](repeating: 0, count: dyv.count)
                var dx = [Double](repeating: 0, count: xv.count), dw = [Double](repeating: 0, count: wv.count)
                convolutionTerms(g) { xi, wi, yi in
                    y[yi] += Double(xv[xi]) * Double(wv[wi])
                    dx[xi] += Double(dyv[yi]) * Double(wv[wi])
                    dw[wi] += Double(dyv[yi]) * Double(xv[xi])
                }
                let x = try array(xv, g.inputShape), w = try array(wv, g.weightsShape)
                let b = try array(bv, [g.outChannels]), dy = try array(dyv, g.outputShape)
                let what = "\(g) \(layout)"
                let spatial = shapeSize(g.outputSpatial)
                let yBias = y.indices.map { y[$0] + Double(bv[($0 / spatial) % g.outChannels]) }

                assertClose(try DNNLConvolution.forward(g, input: x, weights: w, layout: layout), y, "forward \(what)")
                assertClose(try DNNLConvolution.forward(g, input: x, weights: w, bias: b, layout: layout), yBias, "forward+bias \(what)")
                assertClose(try DNNLConvolution.forward(g, input: x, weights: w, bias: b, relu: true, layout: layout),
                            yBias.map { max($0, 0) }, "forward+bias+relu \(what)")
                assertClose(try DNNLConvolution.backwardData(g, outputGradient: dy, weights: w, layout: layout), dx, "backward data \(what)")
                let (gw, gb) = try DNNLConvolution.backwardWeights(g, input: x, outputGradient: dy, withBias: true, layout: layout)
                assertClose(gw, dw, "backward weights \(what)")
                let db = (0..<g.outChannels).map { o in
                    (0..<g.batch).reduce(0.0) { s, n in s + (0..<spatial).reduce(0.0) { $0 + Double(dyv[(n * g.outChannels + o) * spatial + $1]) } }
                }
                assertClose(try XCTUnwrap(gb), db, "backward bias \(what)")
            }
        }
    }

    func testConvolutionReadsStridedViewsAndWritesIntoBuffers() throws {
        var rng = Values(state: 4)
        let g = DNNLConvGeometry(batch: 2, inChannels: 3, outChannels: 4, inputSpatial: [5, 6], kernelSpatial: [3, 3])
        // The input as a transposed view of a [N, C, W, H] array.
        let stored = try array(rng.next(shapeSize(g.inputShape)), [2, 3, 6, 5])
        let x = try stored.transposed([0, 1, 3, 2])
        let w = try array(rng.next(shapeSize(g.weightsShape)), g.weightsShape)
        let want = try DNNLConvolution.forward(g, input: x.contiguous(), weights: w)
        let out = NDArray(zeros: g.outputShape)
        let got = try DNNLConvolution.forward(g, input: x, weights: w, into: out)
        XCTAssertTrue(got.sharesStorage(with: out))
        XCTAssertEqual(got.toArray(of: Float.self), want.toArray(of: Float.self))
        let dy = try array(rng.next(shapeSize(g.outputShape)), g.outputShape)
        let (dwOut, dbOut) = (NDArray(zeros: g.weightsShape), NDArray(zeros: [g.outChannels]))
        let (dw, db) = try DNNLConvolution.backwardWeights(g, input: x, outputGradient: dy, withBias: true, into: dwOut, biasInto: dbOut)
        XCTAssertTrue(dw.sharesStorage(with: dwOut))
        XCTAssertTrue(try XCTUnwrap(db).sharesStorage(with: dbOut))
        let fresh = try DNNLConvolution.backwardWeights(g, input: x.contiguous(), outputGradient: dy, withBias: true)
        XCTAssertEqual(dw.toArray(of: Float.self), fresh.weights.toArray(of: Float.self))
    }

    /// A primitive keeps its reordered arguments' buffers between runs: later runs with other
    /// operands, and runs from several threads at once, must not see an earlier run's data.
    func testReorderBuffersKeptBetweenRunsHoldNoStaleData() throws {
        var rng = Values(state: 9)
        let g = DNNLConvGeometry(batch: 2, inChannels: 5, outChannels: 6, inputSpatial: [7, 6], kernelSpatial: [3, 2])
        func expected(_ xv: [Float], _ wv: [Float]) -> [Double] {
            var y = [Double](repeating: 0, count: shapeSize(g.outputShape))
            convolutionTerms(g) { xi, wi, yi in y[yi] += Double(xv[xi]) * Double(wv[wi]) }
            return y
        }
        let cases = try (0..<4).map { _ in
            let xv = rng.next(shapeSize(g.inputShape)), wv = rng.next(shapeSize(g.weightsShape))
            return (x: try array(xv, g.inputShape), w: try array(wv, g.weightsShape), want: expected(xv, wv))
        }
        for layout in [DNNLLayout.chosen, .channelsLast] {
            for (i, c) in cases.enumerated() {
                assertClose(try DNNLConvolution.forward(g, input: c.x, weights: c.w, layout: layout), c.want, "run \(i) \(layout)")
            }
        }
        let results = Mutex<[Int: [Float]]>([:])
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let c = cases[i % cases.count]
            let got = try? DNNLConvolution.forward(g, input: c.x, weights: c.w, layout: .channelsLast)
            results.withLock { $0[i] = got?.toArray(of: Float.self) }
        }
        for i in 0..<16 {
            let got = try XCTUnwrap(results.withLock { $0[i] }, "thread run \(i) failed")
            assertClose(try array(got, g.outputShape), cases[i % cases.count].want, "thread run \(i)")
        }
    }

    func testConvolutionPrimitivesAreCachedByGeometry() throws {
        let context = try DNNLContext.shared
        let g = DNNLConvGeometry(batch: 1, inChannels: 2, outChannels: 2, inputSpatial: [13, 3], kernelSpatial: [2, 2])
        let x = NDArray(zeros: g.inputShape), w = NDArray(zeros: g.weightsShape)
        _ = try DNNLConvolution.forward(g, input: x, weights: w)
        let count = context.cachedPrimitiveCount
        _ = try DNNLConvolution.forward(g, input: x, weights: w)
        XCTAssertEqual(context.cachedPrimitiveCount, count)
    }

    func testLayoutChoiceFollowsChannelsPerGroup() {
        let image = DNNLConvGeometry(batch: 8, inChannels: 3, outChannels: 16, inputSpatial: [8, 8], kernelSpatial: [3, 3])
        let hidden = DNNLConvGeometry(batch: 8, inChannels: 32, outChannels: 32, inputSpatial: [8, 8], kernelSpatial: [3, 3])
        let depthwise = DNNLConvGeometry(batch: 8, inChannels: 32, outChannels: 32, groups: 32, inputSpatial: [8, 8], kernelSpatial: [3, 3])
        XCTAssertEqual(DNNLLayout.preferred(for: image), .chosen, "LeNet's first layer runs faster blocked")
        XCTAssertEqual(DNNLLayout.preferred(for: hidden), .channelsLast, "no channel padding")
        XCTAssertEqual(DNNLLayout.preferred(for: depthwise), .plain)
        XCTAssertEqual(DNNLLayout.preferredForBackwardWeights(image), .chosen)
        XCTAssertEqual(DNNLLayout.preferredForBackwardWeights(hidden), .channelsLast)
        XCTAssertEqual(DNNLLayout.preferredForBackwardWeights(depthwise), .plain)
    }

    func testMaxPoolingBackwardRefusesAnotherGeometrysWorkspace() throws {
        let a = DNNLPoolGeometry(batch: 1, channels: 2, inputSpatial: [4, 4], kernel: [2, 2], kind: .max)
        var b = a
        b.stride = [1, 1]
        let (_, workspace) = try DNNLPooling.forward(a, input: NDArray(zeros: a.inputShape), training: true)
        XCTAssertThrowsError(try DNNLPooling.backward(b, outputGradient: NDArray(zeros: b.outputShape), workspace: workspace)) {
            XCTAssertEqual(($0 as? TheanoError)?.kind, .invalidArgument)
        }
        // Inference has no workspace; average pooling needs none.
        XCTAssertNil(try DNNLPooling.forward(a, input: NDArray(zeros: a.inputShape)).workspace)
    }

    func testBadGeometriesAndOperandsThrow() throws {
        func kind(_ body: () throws -> Any) -> TheanoError.Kind? {
            do { _ = try body() } catch let e as TheanoError { return e.kind } catch { return nil }
            return nil
        }
        let bad = [
            DNNLConvGeometry(batch: 1, inChannels: 3, outChannels: 4, groups: 2, inputSpatial: [5, 5], kernelSpatial: [3, 3]),
            DNNLConvGeometry(batch: 1, inChannels: 2, outChannels: 2, inputSpatial: [3, 3], kernelSpatial: [5, 5]),
            DNNLConvGeometry(batch: 1, inChannels: 2, outChannels: 2, inputSpatial: [3, 3, 3, 3], kernelSpatial: [1, 1, 1, 1]),
            DNNLConvGeometry(batch: 1, inChannels: 2, outChannels: 2, inputSpatial: [5, 5], kernelSpatial: [3, 3], stride: [0, 1]),
            DNNLConvGeometry(batch: 1, inChannels: 2, outChannels: 2, inputSpatial: [5, 5], kernelSpatial: [3]),
        ]
        for g in bad {
            let x = NDArray(zeros: [1, 2, 5, 5]), w = NDArray(zeros: [2, 2, 3, 3])
            XCTAssertEqual(kind { try DNNLConvolution.forward(g, input: x, weights: w) }, .invalidArgument, "\(g)")
        }
        let g = DNNLConvGeometry(batch: 1, inChannels: 2, outChannels: 2, inputSpatial: [5, 5], kernelSpatial: [3, 3])
        XCTAssertEqual(kind { try DNNLConvolution.forward(g, input: NDArray(zeros: [1, 2, 5, 4]), weights: NDArray(zeros: g.weightsShape)) },
                       .shapeMismatch)
        XCTAssertEqual(kind { try DNNLConvolution.forward(g, input: NDArray(zeros: g.inputShape, dtype: .float64), weights: NDArray(zeros: g.weightsShape)) },
                       .typeMismatch)
        let pool = DNNLPoolGeometry(batch: 1, channels: 1, inputSpatial: [4, 4], kernel: [2, 2], kind: .max)
        XCTAssertEqual(kind { try DNNLPooling.backward(pool, outputGradient: NDArray(zeros: pool.outputShape)) }, .invalidArgument)
        let badPool = DNNLPoolGeometry(batch: 1, channels: 1, inputSpatial: [4, 4], kernel: [2, 2], padBefore: [2, 0], kind: .max)
        XCTAssertEqual(kind { try DNNLPooling.forward(badPool, input: NDArray(zeros: badPool.inputShape)) }, .invalidArgument)
    }

    // MARK: Pooling

    /// For each output element of `g`: the flat input indices of its window that are inside
    /// the input, in window order.
    func poolingWindows(_ g: DNNLPoolGeometry) -> [[Int]] {
        var windows = [[Int]](repeating: [], count: shapeSize(g.outputShape))
        let kernels = positions(g.kernel)
        for n in 0..<g.batch {
            for c in 0..<g.channels {
                for y in positions(g.outputSpatial) {
                    let yi = flat([n, c] + y, g.outputShape)
                    for k in kernels {
                        let x = (0..<g.spatialRank).map { y[$0] * g.stride[$0] + k[$0] - g.padBefore[$0] }
                        guard zip(x, g.inputSpatial).allSatisfy({ $0 >= 0 && $0 < $1 }) else { continue }
                        windows[yi].append(flat([n, c] + x, g.inputShape))
                    }
                }
            }
        }
        return windows
    }

    func testPoolingForwardBackwardAgainstLoops() throws {
        var rng = Values(state: 5)
        let shapes: [(Int, Int, [Int], [Int], [Int]?, [Int]?, [Int]?)] = [
            (2, 3, [6, 6], [2, 2], nil, nil, nil),
            (1, 2, [7, 5], [3, 3], [2, 2], [1, 1], [1, 0]),
            (2, 1, [9], [3], [2], [1], [2]),
            (1, 2, [4, 5, 4], [2, 3, 2], [2, 1, 2], [0, 1, 1], [1, 1, 1]),
        ]
        for (n, c, input, kernel, stride, before, after) in shapes {
            for kind in [DNNLPoolingKind.max, .averageIncludingPadding, .averageExcludingPadding] {
                let g = DNNLPoolGeometry(batch: n, channels: c, inputSpatial: input, kernel: kernel, stride: stride,
                                         padBefore: before, padAfter: after, kind: kind)
                let xv = rng.next(shapeSize(g.inputShape)), dyv = rng.next(shapeSize(g.outputShape))
                let windows = poolingWindows(g)
                var y = [Double](repeating: 0, count: windows.count), dx = [Double](repeating: 0, count: xv.count)
                for (yi, window) in windows.enumerated() {
                    switch kind {
                    case .max:
                        let best = window.max { xv[$0] < xv[$1] }!
                        y[yi] = Double(xv[best])
                        dx[best] += Double(dyv[yi])
                    case .averageIncludingPadding, .averageExcludingPadding:
                        let divisor = Double(kind == .averageExcludingPadding ? window.count : shapeSize(kernel))
                        y[yi] = window.reduce(0.0) { $0 + Double(xv[$1]) } / divisor
                        for i in window { dx[i] += Double(dyv[yi]) / divisor }
                    }
                }
                let (got, workspace) = try DNNLPooling.forward(g, input: try array(xv, g.inputShape), training: true)
                assertClose(got, y, "pooling forward \(g)")
                XCTAssertEqual(workspace != nil, kind == .max)
                assertClose(try DNNLPooling.forward(g, input: try array(xv, g.inputShape)).output, y, "pooling inference \(g)")
                let gx = try DNNLPooling.backward(g, outputGradient: try array(dyv, g.outputShape), workspace: workspace)
                assertClose(gx, dx, "pooling backward \(g)")
            }
        }
    }

    // MARK: Batch normalisation

    func testBatchNormalizationAgainstLoops() throws {
        var rng = Values(state: 6)
        for (n, c, spatial, affine) in [(4, 3, [5, 4], true), (1, 2, [7], false), (3, 1, [2, 3, 2], true), (8, 5, [Int](), true)] {
            let g = DNNLBatchNormGeometry(batch: n, channels: c, spatial: spatial, epsilon: 1e-3, affine: affine)
            let size = shapeSize(spatial), count = Double(n * size)
            let xv = rng.next(shapeSize(g.shape)), dyv = rng.next(shapeSize(g.shape))
            let scale = rng.next(c).map { $0 + 1.5 }, shift = rng.next(c)
            func index(_ b: Int, _ ch: Int, _ s: Int) -> Int { (b * c + ch) * size + s }
            var mean = [Double](repeating: 0, count: c), variance = mean
            var y = [Double](repeating: 0, count: xv.count), dx = y, dScale = mean, dShift = mean
            for ch in 0..<c {
                let items = (0..<n).flatMap { b in (0..<size).map { index(b, ch, $0) } }
                mean[ch] = items.reduce(0.0) { $0 + Double(xv[$1]) } / count
                variance[ch] = items.reduce(0.0) { $0 + pow(Double(xv[$1]) - mean[ch], 2) } / count
                let inv = 1 / (variance[ch] + 1e-3).squareRoot()
                let (gamma, beta) = affine ? (Double(scale[ch]), Double(shift[ch])) : (1, 0)
                for i in items { y[i] = gamma * (Double(xv[i]) - mean[ch]) * inv + beta }
                dShift[ch] = items.reduce(0.0) { $0 + Double(dyv[$1]) }
                dScale[ch] = items.reduce(0.0) { $0 + Double(dyv[$1]) * (Double(xv[$1]) - mean[ch]) * inv }
                for i in items {
                    let xhat = (Double(xv[i]) - mean[ch]) * inv
                    dx[i] = gamma * inv * (Double(dyv[i]) - dShift[ch] / count - xhat * dScale[ch] / count)
                }
            }
            let x = try array(xv, g.shape)
            let (s, b) = (try array(scale, [c]), try array(shift, [c]))
            let trained = try DNNLBatchNormalization.forwardTraining(g, input: x, scale: affine ? s : nil, shift: affine ? b : nil)
            assertClose(trained.output, y, "batch norm forward \(g)", tolerance: 1e-3)
            assertClose(trained.mean, mean, "batch norm mean \(g)")
            assertClose(trained.variance, variance, "batch norm variance \(g)")
            let inferred = try DNNLBatchNormalization.forwardInference(
                g, input: x, mean: trained.mean, variance: trained.variance, scale: affine ? s : nil, shift: affine ? b : nil)
            assertClose(inferred, y, "batch norm inference \(g)", tolerance: 1e-3)
            let grads = try DNNLBatchNormalization.backward(
                g, input: x, outputGradient: try array(dyv, g.shape), mean: trained.mean, variance: trained.variance,
                scale: affine ? s : nil)
            assertClose(grads.input, dx, "batch norm backward \(g)", tolerance: 1e-3)
            if affine {
                assertClose(try XCTUnwrap(grads.scale), dScale, "batch norm scale gradient \(g)", tolerance: 1e-3)
                assertClose(try XCTUnwrap(grads.shift), dShift, "batch norm shift gradient \(g)", tolerance: 1e-3)
            } else {
                XCTAssertNil(grads.scale)
            }
        }
    }
}
