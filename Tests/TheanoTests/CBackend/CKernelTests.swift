import Foundation
import Theano
import XCTest

/// Every C kernel against the reference `perform`, on random inputs of every dtype,
/// contiguous, strided, broadcast, size 0 and 1, with NaN and infinities.
final class CKernelTests: XCTestCase {
    static let c = CompileOptions(backend: .cpu, threads: 2)
    static let reference = CompileOptions(backend: .reference)

    /// Builds one output per applicable op (every case of ``ScalarOp``, casts to every dtype)
    /// over inputs x, y, z (shape [?, ?]), b (shape [1, ?])
    /// and a bool condition c.
    func outputs(for dtype: DType, x: Tensor, y: Tensor, z: Tensor, b: Tensor, c: Tensor) -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        // Integer pow of random (negative) exponents throws; it is tested on its own.
        for op in ScalarOp.allCases where !(op == .pow && !dtype.isFloatingPoint) {
            let candidates: [[Tensor]]
            switch op.arity {
            case 1: candidates = [[x]]
            case 2: candidates = [[x, y], [x, b], [b, x]]
            default: candidates = op == .where ? [[c, x, y], [c, b, x]] : [[x, y, z], [x, b, z]]
            }
            for inputs in candidates {
                guard let node = try? Elemwise(op).makeNode(inputs.map(\.variable)) else { continue }
                result.append(("\(op)(\(inputs.map { $0.name ?? "?" }.joined(separator: ",")))", Tensor(node.output)))
            }
        }
        return result
    }

    func values(_ shape: [Int], _ dtype: DType, seed: UInt64, special: Bool) -> NDArray {
        var data = TestData(seed: seed)
        if dtype.isFloatingPoint {
            var v = data.array(shape, .float64, low: -3, high: 3).doubles
            if special && v.count >= 8 {
                for (i, s) in [Double.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 0.5].enumerated() { v[i * 3 % v.count] = s }
            }
            return ((try? NDArray(v, shape: shape)) ?? NDArray(zeros: shape, dtype: .float64)).astype(dtype)
        }
        if dtype == .bool { return data.array(shape, .bool) }
        return data.array(shape, dtype, low: dtype == .uint8 ? 0 : -6, high: 7)
    }

    func check(_ dtype: DType, shapes: (x: [Int], b: [Int]), strided: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = Tensor.matrix("x", dtype), y = Tensor.matrix("y", dtype), z = Tensor.matrix("z", dtype)
        let b = Tensor.variable("b", dtype, shape: [1, nil])
        let c = Tensor.matrix("c", .bool)
        let named = outputs(for: dtype, x: x, y: y, z: z, b: b, c: c)
        let inputs = [x, y, z, b, c]
        let fc = try function(inputs, named.map(\.1), mode: .unoptimized, options: CKernelTests.c)
        let fr = try function(inputs, named.map(\.1), mode: .unoptimized, options: CKernelTests.reference)
        XCTAssertEqual(fc.compiledKernelCount, named.count, "every elementwise node should compile", file: file, line: line)
        func make(_ shape: [Int], _ t: DType, _ seed: UInt64) throws -> NDArray {
            let v = values(shape, t, seed: seed, special: true)
            guard strided, let last = shape.last, last > 0 else { return v }
            // The same values seen through a strided view of a larger array.
            var wide = shape
            wide[wide.count - 1] = last * 2
            let big = try NDArray.zeros(wide, t)
            var view = try big.slice([.all, .slice(start: nil, stop: nil, step: 2)])
            try NDArray.assign(v, into: view)
            view = try big.slice([.all, .slice(start: nil, stop: nil, step: 2)])
            return view
        }
        let args = [try make(shapes.x, dtype, 1), try make(shapes.x, dtype, 2), try make(shapes.x, dtype, 3),
                    try make(shapes.b, dtype, 4), try make(shapes.x, .bool, 5)]
        let got = try fc.call(args)
        let expected = try fr.call(args)
        for (i, (name, _)) in named.enumerated() {
            let tolerance = dtype == .float32 ? 2e-5 : 1e-12
            assertClose(got[i], expected[i], rtol: tolerance, atol: tolerance, "\(name) \(dtype) \(shapes) strided: \(strided)", file: file, line: line)
        }
    }

    func testEveryKernelMatchesTheReferenceForEveryDType() throws {
        for dtype in DType.allCases {
            try check(dtype, shapes: ([3, 17], [1, 17]), strided: false)
        }
    }

    func testLayoutsAndSizes() throws {
        for dtype in [DType.float32, .float64, .int32] {
            try check(dtype, shapes: ([3, 17], [1, 17]), strided: true)
            try check(dtype, shapes: ([0, 5], [1, 5]), strided: false)
            try check(dtype, shapes: ([1, 1], [1, 1]), strided: false)
            try check(dtype, shapes: ([2, 0], [1, 0]), strided: false)
        }
    }

    func testLargeArraysUseThreadsAndStayCorrect() throws {
        let x = Tensor.vector("x", .float32)
        let y = Tensor.vector("y", .float32)
        let out = try exp(-x * x) * sin(y) + tanh(x * y)
        let fc = try function([x, y], [out, sum(x * y)], options: CKernelTests.c)
        let fr = try function([x, y], [out, sum(x * y)], options: CKernelTests.reference)
        let a = try NDArray.randomNormal([200_003], seed: 1), b = try NDArray.randomNormal([200_003], seed: 2)
        let got = try fc(a, b), expected = try fr(a, b)
        assertClose(got[0], expected[0], rtol: 1e-5, atol: 1e-6)
        assertClose(got[1], expected[1], rtol: 1e-4, atol: 1e-3)
    }

    func testReductionsMatchTheReference() throws {
        for dtype in [DType.float32, .float64, .int32, .uint8, .bool] {
            let x = Tensor.tensor3("x", dtype)
            var outs: [Tensor] = []
            for axes in [[0], [1], [2], [0, 2], [0, 1, 2]] {
                for keepdims in [false, true] {
                    outs.append(try sum(x, axes: axes, keepdims: keepdims))
                    outs.append(try prod(x, axes: axes, keepdims: keepdims))
                    if dtype != .bool {
                        outs.append(try max(x, axes: axes, keepdims: keepdims))
                        outs.append(try min(x, axes: axes, keepdims: keepdims))
                    }
                    outs.append(try all(x, axes: axes, keepdims: keepdims))
                    outs.append(try any(x, axes: axes, keepdims: keepdims))
                }
            }
            let fc = try function([x], outs, mode: .unoptimized, options: CKernelTests.c)
            let fr = try function([x], outs, mode: .unoptimized, options: CKernelTests.reference)
            XCTAssertEqual(fc.compiledKernelCount, outs.count)
            for shape in [[3, 4, 5], [2, 1, 3], [1, 1, 1]] {
                let v = values(shape, dtype, seed: 7, special: false)
                for (arg, label) in [(v, "contiguous"), (try v.transposed([2, 0, 1]).copy().transposed([1, 2, 0]), "transposed")] {
                    let got = try fc(arg), expected = try fr(arg)
                    for i in outs.indices {
                        assertClose(got[i], expected[i], rtol: 1e-5, atol: 1e-6, "output \(i) \(dtype) \(shape) \(label)")
                    }
                }
            }
        }
    }

    func testIntegerPowWraps() throws {
        for dtype in [DType.int8, .int32, .int64, .uint8] {
            let x = Tensor.vector("x", dtype), y = Tensor.vector("y", dtype)
            let fc = try function([x, y], [x ** y], options: CKernelTests.c)
            let fr = try function([x, y], [x ** y], options: CKernelTests.reference)
            let a = NDArray([3, -2, 7, 0, 1, 5] as [Int64]).astype(dtype), b = NDArray([4, 3, 9, 0, 12, 2] as [Int64]).astype(dtype)
            XCTAssertEqual(try fc(a, b)[0], try fr(a, b)[0])
        }
    }

    func testRunTimeErrorsMatchTheReference() throws {
        let x = Tensor.vector("x", .int32), y = Tensor.vector("y", .int32)
        let f = try function([x, y], [x ** y, x + y], options: CKernelTests.c)
        assertThrows(.invalidArgument, containing: ["negative integer powers"]) {
            try f(NDArray([2, 3] as [Int32]), NDArray([1, -1] as [Int32]))
        }
        assertThrows(.shapeMismatch, containing: ["[2]", "[3]"]) {
            try f(NDArray([2, 3] as [Int32]), NDArray([1, 1, 1] as [Int32]))
        }
        let v = Tensor.vector("v", .float32)
        let g = try function([v], [max(v)], options: CKernelTests.c)
        assertThrows(.invalidArgument, containing: ["size 0"]) { try g(NDArray([] as [Float])) }
    }
}
