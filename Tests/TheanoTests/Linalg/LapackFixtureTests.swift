import Foundation
import Theano
import XCTest

/// The linear-algebra ops against NumPy/SciPy results (`LinalgFixtures.swift`, made by
/// `Tests/Generators/generate_linalg_fixtures.py`). Each case runs in float64 with inputs of
/// unknown static shape and again with static shapes; float32 inputs are checked against the
/// same numbers at float32 tolerance. Eigenvectors and singular vectors are compared after
/// `signNormalised` (each is unique only up to sign).
final class LapackFixtureTests: BackendTestCase {
    func testInverse() throws { try runCases("inv") { [try inv($0[0])] } }
    func testDeterminant() throws { try runCases("det") { [try det($0[0])] } }

    func testSignLogDeterminant() throws {
        try runCases("slogdet") { x in
            let (sign, log) = try slogdet(x[0])
            return [sign, log]
        }
    }

    func testSolve() throws {
        try runCases("solve") { x, p in
            [try solve(x[0], x[1], assume: SolveAssumption(rawValue: p.assume ?? "general") ?? .general, lower: p.lower ?? true)]
        }
    }

    func testSolveTriangular() throws {
        try runCases("solveTriangular") { x, p in [try solveTriangular(x[0], x[1], lower: p.lower ?? false, unitDiagonal: p.unit ?? false)] }
    }

    func testCholesky() throws { try runCases("cholesky") { x, p in [try cholesky(x[0], lower: p.lower ?? true)] } }
    func testChoSolve() throws { try runCases("choSolve") { x, p in [try choSolve(x[0], x[1], lower: p.lower ?? true)] } }

    func testEigh() throws {
        try runCases("eigh", normalise: [1: .columns]) { x, p in
            let (w, v) = try eigh(x[0], lower: p.lower ?? true)
            return [w, v]
        }
    }

    func testEigvalsh() throws { try runCases("eigvalsh") { x, p in [try eigvalsh(x[0], lower: p.lower ?? true)] } }
    func testTrace() throws { try runCases("trace") { x, p in [try trace(x[0], offset: p.n ?? 0)] } }
    func testKron() throws { try runCases("kron") { [try kron($0[0], $0[1])] } }
    func testMatrixPower() throws { try runCases("matrixPower") { x, p in [try matrixPower(x[0], p.n ?? 1)] } }

    func testSVD() throws {
        try runCases("svd", normalise: [0: .columns, 2: .rows]) { x, p in
            switch p.mode {
            case "values": return [try svdvals(x[0])]
            default:
                let (u, s, vt) = try svd(x[0], fullMatrices: p.mode == "full")
                return [u, s, vt]
            }
        }
    }

    func testQR() throws {
        try runCases("qr", normalise: [0: .columns, 1: .rows]) { x, p in
            if p.mode == "r" { return [try qrR(x[0])] }
            let (q, r) = try qr(x[0], complete: p.mode == "complete")
            return [q, r]
        }
    }

    func testPinvAndLstsq() throws {
        try runCases("pinv") { [try pinv($0[0])] }
        try runCases("lstsq") { [try lstsq($0[0], $0[1])] }
    }

    func testNorms() throws {
        try runCases("vectorNorm") { x, p in [try vectorNorm(x[0], ord: Double(p.ord ?? "2") ?? 2, axis: p.axis)] }
        let orders: [String: MatrixNormOrder] = [
            "fro": .frobenius, "nuc": .nuclear, "1": .one, "-1": .minusOne, "2": .two, "-2": .minusTwo,
            "inf": .infinity, "-inf": .minusInfinity,
        ]
        try runCases("matrixNorm") { x, p in [try matrixNorm(x[0], ord: orders[p.ord ?? "fro"] ?? .frobenius)] }
    }

    func testNumPyNorm() throws {
        try runCases("norm") { x, p in
            var ord: NormOrder? = nil
            switch p.ord ?? "none" {
            case "none": ord = nil
            case "fro": ord = .frobenius
            case "nuc": ord = .nuclear
            case let number: ord = .p(Double(number) ?? 2)
            }
            return [try norm(x[0], ord: ord, axes: p.axes, keepdims: p.keepdims ?? false)]
        }
        assertThrows(.invalidArgument, containing: ["norm", "not a matrix norm order"]) {
            try norm(Tensor.matrix("m"), ord: .p(3))
        }
        assertThrows(.invalidArgument, containing: ["norm", "matrix norm", "one axis"]) {
            try norm(Tensor.matrix("m"), ord: .nuclear, axes: [0])
        }
        assertThrows(.invalidArgument, containing: ["norm", "one axis (vector) or two"]) {
            try norm(Tensor.tensor3("t"), ord: .p(2))
        }
    }

    func testExpm() throws { try runCases("expm") { [try expm($0[0])] } }

    func testLUFactorAndSolve() throws {
        try runCases("luFactor") { x in
            let (lu, pivots) = try luFactor(x[0])
            return [lu, try cast(pivots, x[0].dtype)]
        }
        try runCases("lu") { x in
            let (p, l, u) = try lu(x[0])
            return [p, l, u]
        }
        try runCases("luSolve") { x, p in
            let (lu, pivots) = try luFactor(x[0])
            return [try luSolve(lu, pivots, x[1], transposed: p.trans ?? false)]
        }
    }

    // MARK: - Running cases

    /// How vectors of an output are made unique before comparing.
    enum SignNormalisation { case columns, rows }

    func runCases(_ op: String, normalise: [Int: SignNormalisation] = [:], _ build: @escaping ([Tensor]) throws -> [Tensor]) throws {
        try runCases(op, normalise: normalise) { x, _ in try build(x) }
    }

    func runCases(
        _ op: String, normalise: [Int: SignNormalisation] = [:],
        _ build: @escaping ([Tensor], LinalgFixture.Params) throws -> [Tensor]
    ) throws {
        let cases = try LinalgFixture.shared.cases.filter { $0.op == op }
        XCTAssertFalse(cases.isEmpty, "no fixture cases for \(op)")
        for c in cases {
            let values = try c.inputs.map { try $0.array() }
            let expected = try c.outputs.map { try $0.array() }
            // Values beyond float32's range (the huge slogdet case) are checked in float64 only,
            // as is the rank-deficient pinv, whose tiny singular value float32 keeps (as NumPy).
            let fitsFloat32 = values.allSatisfy { $0.doubles.allSatisfy { abs($0) < 1e30 } } && !c.name.contains("rank deficient")
            let runs: [(DType, Bool)] = fitsFloat32 ? [(.float64, false), (.float64, true), (.float32, false)] : [(.float64, false), (.float64, true)]
            for (dtype, exact) in runs {
                let cast = values.map { $0.astype(dtype) }
                let inputs = cast.enumerated().map { i, v in
                    Tensor.variable("x\(i)", dtype, shape: v.shape.map { exact || $0 == 1 ? $0 : nil })
                }
                let outputs = try build(inputs, c.params)
                let results = try function(inputs, outputs).call(cast)
                for (k, result) in results.enumerated() {
                    let scale = max(1, expected[k].doubles.map(abs).max() ?? 1)
                    let tolerance: (Double, Double) = dtype == .float32 ? (5e-4, 5e-4 * scale) : (1e-9, 1e-10 * scale)
                    XCTAssertEqual(result.dtype, dtype, "\(c.name) output \(k)")
                    var got = result.astype(.float64), want = expected[k]
                    if let mode = normalise[k] {
                        got = try signNormalised(got, mode)
                        want = try signNormalised(want, mode)
                    }
                    assertClose(got, want, rtol: tolerance.0, atol: tolerance.1, "\(c.name), output \(k), \(dtype)\(exact ? ", static shape" : "")")
                    for (axis, size) in outputs[k].staticShape.enumerated() {
                        if let size { XCTAssertEqual(size, result.shape[axis], "\(c.name): static size of output \(k) axis \(axis)") }
                    }
                }
            }
        }
    }

    /// Each vector (column or row of the last two axes) flipped so that its largest-magnitude
    /// entry is positive.
    func signNormalised(_ a: NDArray, _ mode: SignNormalisation) throws -> NDArray {
        if a.rank < 2 { return a }
        var v = a.doubles
        let (m, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let blocks = m * n == 0 ? 0 : v.count / (m * n)
        for b in 0..<blocks {
            let vectors = mode == .columns ? n : m, length = mode == .columns ? m : n
            for j in 0..<vectors {
                func index(_ i: Int) -> Int { b * m * n + (mode == .columns ? i * n + j : j * n + i) }
                var best = 0.0
                for i in 0..<length where abs(v[index(i)]) > abs(best) + 1e-9 { best = v[index(i)] }
                if best < 0 { for i in 0..<length { v[index(i)] = -v[index(i)] } }
            }
        }
        return try NDArray(v, shape: a.shape)
    }
}

/// The decoded `linalgFixtureJSON`.
struct LinalgFixture: Decodable, Sendable {
    struct Values: Decodable, Sendable {
        let shape: [Int]
        let values: [Double]

        func array() throws -> NDArray { try NDArray(values, shape: shape) }
    }

    struct Params: Decodable, Sendable {
        let assume: String?
        let lower: Bool?
        let n: Int?
        let mode: String?
        let ord: String?
        let axis: Int?
        let trans: Bool?
        let axes: [Int]?
        let keepdims: Bool?
        let unit: Bool?
    }

    struct Case: Decodable, Sendable {
        let name: String
        let op: String
        let inputs: [Values]
        let outputs: [Values]
        let params: Params
    }

    let cases: [Case]

    /// The fixture, decoded once.
    static var shared: LinalgFixture {
        get throws { try decoded.get() }
    }

    private static let decoded = Result<LinalgFixture, Error> {
        try JSONDecoder().decode(LinalgFixture.self, from: Data(linalgFixtureJSON.utf8))
    }
}
