import Foundation
import Theano
import XCTest

/// The NumPy fixtures of `LongTailFixtures.swift` (made by
/// `Tests/Generators/generate_longtail_fixtures.py`), decoded once.
enum LongTail {
    struct Entry {
        let dtype: String
        let shape: [Int]
        let values: [Any]

        func array() throws -> NDArray {
            switch dtype {
            case "bool":
                return try NDArray(values.map { ($0 as? Int ?? 0) != 0 }, shape: shape)
            case "int64":
                return try NDArray(values.map { Int64($0 as? Int ?? 0) }, shape: shape)
            default:
                return try NDArray(values.map(LongTail.double), shape: shape)
            }
        }
    }

    static func double(_ v: Any) -> Double {
        if let s = v as? String {
            switch s {
            case "nan": return .nan
            case "inf": return .infinity
            default: return -.infinity
            }
        }
        return (v as? NSNumber)?.doubleValue ?? .nan
    }

    /// The decoded fixture file (decoded on each use: it is small).
    static var root: [String: Any] {
        let data = Data(longTailFixtureJSON.utf8)
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
    }

    static func entry(_ group: String, _ name: String) throws -> Entry {
        guard let all = root[group] as? [String: Any], let e = all[name] as? [String: Any],
              let dtype = e["dtype"] as? String, let shape = e["shape"] as? [Int], let values = e["values"] as? [Any]
        else { throw TheanoError.io("no long-tail fixture \(group)/\(name)") }
        return Entry(dtype: dtype, shape: shape, values: values)
    }

    /// A fixture input.
    static func input(_ name: String) throws -> NDArray { try entry("inputs", name).array() }
    /// A NumPy-computed result.
    static func expected(_ name: String) throws -> NDArray { try entry("cases", name).array() }

    /// The einsum cases: name -> (subscripts, operand input names).
    static var einsumCases: [(name: String, subscripts: String, operands: [String])] {
        let all = root["einsum"] as? [String: Any] ?? [:]
        return all.keys.sorted().compactMap { name in
            guard let c = all[name] as? [String: Any], let s = c["subscripts"] as? String, let o = c["operands"] as? [String] else { return nil }
            return (name, s, o)
        }
    }
}

/// A symbolic input with the value's dtype and rank, sizes unknown (or static with `fixed`).
func symbolic(_ name: String, like value: NDArray, fixed: Bool = false) -> Tensor {
    Tensor.variable(name, value.dtype, shape: value.shape.map { fixed ? Optional($0) : nil })
}

/// `value` as a non-contiguous array with the same elements (every other column of a wider
/// copy, or negative strides for vectors).
func strided(_ value: NDArray) throws -> NDArray {
    guard value.rank >= 1, value.count > 0 else { return value }
    let big = try NDArray.repeatedLastAxis(value)
    let view = try big.slice(Array(repeating: ArrayIndex.all, count: value.rank - 1) + [.slice(start: nil, stop: nil, step: 2)])
    return view
}

extension NDArray {
    /// Each element doubled along the last axis (`np.repeat(a, 2, axis=-1)`), for strided views.
    static func repeatedLastAxis(_ a: NDArray) throws -> NDArray {
        try a.repeated(2, axis: a.rank - 1)
    }
}

/// Asserts a result equals a NumPy fixture: same dtype and shape, values within 1e-12
/// (relative) for floats, exactly otherwise.
func assertFixture(_ actual: NDArray, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let expected = try LongTail.expected(name)
    if expected.dtype.isFloatingPoint {
        assertClose(actual, expected, rtol: 1e-12, atol: 1e-12, name, file: file, line: line)
    } else {
        XCTAssertEqual(actual.shape, expected.shape, name, file: file, line: line)
        XCTAssertEqual(actual.dtype, expected.dtype, name, file: file, line: line)
        XCTAssertEqual(actual.toArray(of: Int64.self), expected.toArray(of: Int64.self), name, file: file, line: line)
    }
}

/// Compiles `build(x)` for an input like `value` (unknown sizes), runs it on `value` and on a
/// strided copy, compares with the fixture `name` and checks shape inference.
func checkUnary(_ inputName: String, _ name: String, file: StaticString = #filePath, line: UInt = #line,
                _ build: (Tensor) throws -> Tensor) throws {
    let value = try LongTail.input(inputName)
    for fixed in [false, true] {
        let x = symbolic("x", like: value, fixed: fixed)
        let y = try build(x)
        let f = try function([x], [y])
        for v in [value, try strided(value)] {
            try assertFixture(try f.call([v])[0], name, file: file, line: line)
        }
        try checkInferShape(y, [x], [value], file: file, line: line)
    }
}
