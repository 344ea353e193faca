import Foundation
import Theano
import XCTest

/// Every reduction checked against NumPy-computed results (`ReduceFixtures.swift`, made by
/// `generate_reduce_fixtures.py`): each case runs with an input of unknown static shape in
/// three layouts (contiguous, Fortran order, negative strides) and with an input of static
/// shape, and checks dtype, shape and values, or that the call throws where NumPy raises.
final class ReduceFixtureTests: BackendTestCase {
    func testSum() throws { try runCases("sum") }
    func testProd() throws { try runCases("prod") }
    func testMax() throws { try runCases("max") }
    func testMin() throws { try runCases("min") }
    func testMean() throws { try runCases("mean") }
    func testVar() throws { try runCases("var") }
    func testVarDdof1() throws { try runCases("var1") }
    func testStd() throws { try runCases("std") }
    func testStdDdof1() throws { try runCases("std1") }
    func testAll() throws { try runCases("all") }
    func testAny() throws { try runCases("any") }
    func testLogsumexp() throws { try runCases("logsumexp") }
    func testArgmax() throws { try runCases("argmax") }
    func testArgmin() throws { try runCases("argmin") }

    func testFixtureCoversEveryOp() throws {
        let ops = Set(try ReduceFixture.shared.cases.map(\.op))
        XCTAssertEqual(ops, ["sum", "prod", "max", "min", "mean", "var", "var1", "std", "std1", "all", "any", "logsumexp", "argmax", "argmin"])
    }

    private func runCases(_ op: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try ReduceFixture.shared
        let cases = fixture.cases.filter { $0.op == op }
        XCTAssertFalse(cases.isEmpty, file: file, line: line)
        for c in cases {
            guard let input = fixture.inputs[c.input] else {
                XCTFail("\(c): unknown input", file: file, line: line)
                continue
            }
            let value = try input.array()
            let dynamic = Tensor.variable("x", value.dtype, shape: value.shape.map { _ in nil })
            let fixed = Tensor.variable("x", value.dtype, shape: value.shape.map { Optional($0) })
            let layouts = try [value, value.fortranOrder(), value.negativeStrides()]
            let runs = [(dynamic, layouts), (fixed, [value])]
            for (x, values) in runs {
                let f = try function([x], [c.build(x)])
                for v in values {
                    let what = "\(c) with \(x.type), strides \(v.strides)"
                    if c.throws == true {
                        assertThrows(.invalidArgument, containing: [c.errorOpName, "size 0"], file: file, line: line) { try f.call([v]) }
                        continue
                    }
                    let result = try f.call([v])[0]
                    let expected = try c.expected()
                    if expected.dtype.isFloatingPoint {
                        let rtol = expected.dtype == .float32 ? 2e-5 : 1e-10
                        assertClose(result, expected, rtol: rtol, atol: rtol, what, file: file, line: line)
                    } else {
                        XCTAssertEqual(result.dtype, expected.dtype, what, file: file, line: line)
                        XCTAssertEqual(result.shape, expected.shape, what, file: file, line: line)
                        XCTAssertEqual(result.toArray(of: Int64.self), expected.toArray(of: Int64.self), what, file: file, line: line)
                    }
                }
            }
        }
    }
}

/// The decoded fixture.
struct ReduceFixture: Decodable, Sendable {
    struct Values: Decodable, Sendable {
        let dtype: String
        let shape: [Int]
        let floats: [Double]?
        let ints: [Int64]?

        func array() throws -> NDArray {
            guard let type = DType(name: dtype) else { throw TheanoError.invalidArgument("fixture: unknown dtype \(dtype)") }
            if let ints { return try NDArray(ints, shape: shape).astype(type) }
            return try NDArray(floats ?? [], shape: shape).astype(type)
        }
    }

    struct Case: Decodable, Sendable, CustomStringConvertible {
        let input: String
        let op: String
        let keepdims: Bool
        let axes: [Int]?
        let single: Bool?
        let `throws`: Bool?
        let dtype: String?
        let shape: [Int]?
        let floats: [Double]?
        let ints: [Int64]?

        var description: String {
            let axis = axes.map { single == true ? "axis: \($0[0])" : "axes: \($0)" } ?? "axis: nil"
            return "\(op)(\(input), \(axis), keepdims: \(keepdims))"
        }

        func expected() throws -> NDArray {
            try Values(dtype: dtype ?? "", shape: shape ?? [], floats: floats, ints: ints).array()
        }

        /// The op named by the run-time error for an empty reduction.
        var errorOpName: String {
            switch op {
            case "logsumexp": return "max"
            default: return op
            }
        }

        /// Builds the reduction of `x`: the free function for lists of axes, the method for one
        /// axis (or nil), so both spellings run.
        func build(_ x: Tensor) throws -> Tensor {
            if let axes, single != true {
                switch op {
                case "sum": return try sum(x, axes: axes, keepdims: keepdims)
                case "prod": return try prod(x, axes: axes, keepdims: keepdims)
                case "max": return try max(x, axes: axes, keepdims: keepdims)
                case "min": return try min(x, axes: axes, keepdims: keepdims)
                case "mean": return try mean(x, axes: axes, keepdims: keepdims)
                case "var": return try `var`(x, axes: axes, keepdims: keepdims)
                case "var1": return try `var`(x, axes: axes, ddof: 1, keepdims: keepdims)
                case "std": return try std(x, axes: axes, keepdims: keepdims)
                case "std1": return try std(x, axes: axes, ddof: 1, keepdims: keepdims)
                case "all": return try all(x, axes: axes, keepdims: keepdims)
                case "any": return try any(x, axes: axes, keepdims: keepdims)
                case "logsumexp": return try logsumexp(x, axes: axes, keepdims: keepdims)
                default: throw TheanoError.invalidArgument("fixture: \(op) takes one axis")
                }
            }
            let axis = axes?.first
            switch op {
            case "sum": return try x.sum(axis: axis, keepdims: keepdims)
            case "prod": return try x.prod(axis: axis, keepdims: keepdims)
            case "max": return try x.max(axis: axis, keepdims: keepdims)
            case "min": return try x.min(axis: axis, keepdims: keepdims)
            case "mean": return try x.mean(axis: axis, keepdims: keepdims)
            case "var": return try x.var(axis: axis, keepdims: keepdims)
            case "var1": return try x.var(axis: axis, ddof: 1, keepdims: keepdims)
            case "std": return try x.std(axis: axis, keepdims: keepdims)
            case "std1": return try x.std(axis: axis, ddof: 1, keepdims: keepdims)
            case "all": return try x.all(axis: axis, keepdims: keepdims)
            case "any": return try x.any(axis: axis, keepdims: keepdims)
            case "logsumexp": return try x.logsumexp(axis: axis, keepdims: keepdims)
            case "argmax": return try x.argmax(axis: axis, keepdims: keepdims)
            case "argmin": return try x.argmin(axis: axis, keepdims: keepdims)
            default: throw TheanoError.invalidArgument("fixture: unknown op \(op)")
            }
        }
    }

    let inputs: [String: Values]
    let cases: [Case]

    /// The fixture, decoded once.
    static var shared: ReduceFixture {
        get throws { try decoded.get() }
    }

    private static let decoded = Result<ReduceFixture, Error> {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(ReduceFixture.self, from: Data(reduceFixtureJSON.utf8))
    }
}

extension NDArray {
    /// The same values laid out in Fortran order (a non-contiguous view).
    func fortranOrder() throws -> NDArray {
        try transposed().copy().transposed()
    }

    /// The same values as a view with negative strides along every axis.
    func negativeStrides() throws -> NDArray {
        var flipped = self
        for axis in 0..<rank { flipped = try flipped.flipped(axis: axis) }
        var back = flipped.copy()
        for axis in 0..<rank { back = try back.flipped(axis: axis) }
        return back
    }
}
