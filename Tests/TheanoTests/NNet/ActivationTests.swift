import Theano
import XCTest

/// The activation functions: values and gradients against mpmath (50 digits) at points from
/// -100 to 100, in float32 and float64 (finite everywhere), shape inference, finite-difference
/// gradients, dtype rules and the methods.
final class ActivationTests: BackendTestCase {
    static let points: [Double] = [-100, -10, -3, -1, -0.5, 0, 0.5, 1, 3, 10, 100]

    /// Value and derivative at points, from mpmath (`mp.ncdf`, `mp.exp`, ... at 50 digits;
    /// the gradient at 0 is the left derivative where there is a kink).
    static let expected: [String: (value: [Double], gradient: [Double])] = [
        "leakyRelu": ([-1.0, -0.1, -0.03, -0.01, -0.005, 0.0, 0.5, 1.0, 3.0, 10.0, 100.0],
                   [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 1, 1, 1, 1, 1]),
        "elu": ([-1.0, -0.99995460007023752, -0.95021293163213606, -0.63212055882855768, -0.39346934028736658, 0.0, 0.5, 1.0, 3.0, 10.0, 100.0],
                   [3.720075976020836e-44, 4.5399929762484852e-5, 0.049787068367863943, 0.36787944117144232, 0.60653065971263342, 1.0, 1, 1, 1, 1, 1]),
        "selu": ([-1.7580993408473769, -1.7580195232607869, -1.670568728767112, -1.1113307378125628, -0.6917581878028714, 0.0, 0.52535049367774025, 1.0507009873554805, 3.1521029620664415, 10.507009873554805, 105.07009873554805],
                   [6.5402631213443938e-44, 7.9817586589941824e-5, 0.087530612080264885, 0.6467686030348141, 1.0663411530445055, 1.7580993408473769, 1.0507009873554805, 1.0507009873554805, 1.0507009873554805, 1.0507009873554805, 1.0507009873554805]),
        "gelu": ([-1.3441790767441983e-2172, -7.6198530241605261e-23, -0.0040496940948902836, -0.15865525393145705, -0.15426876936299345, 0.0, 0.34573123063700655, 0.84134474606854295, 2.9959503059051097, 10.0, 100.0],
                   [-1.3441790498740486e-2170, -7.6184000964648141e-22, -0.011945647204183927, -0.083315470587686298, 0.13250487534383716, 0.5, 0.86749512465616284, 1.0833154705876863, 1.0119456472041839, 1.0, 1.0]),
        "geluTanh": ([-4.9392749108327188e-31057, -1.204092348209806e-37, -0.0036373920817730188, -0.1588080093917233, -0.15428599017485608, 0.0, 0.34571400982514392, 0.8411919906082767, 2.996362607918227, 10.0, 100.0],
                   [-1.0581064163106699e-31053, -2.7576380638540316e-36, -0.011584166630969726, -0.082964083845782555, 0.13263009646535769, 0.5, 0.86736990353464231, 1.0829640838457826, 1.0115841666309697, 1.0, 1.0]),
        "silu": ([-3.720075976020836e-42, -0.00045397868702434395, -0.14227761953270034, -0.26894142136999512, -0.18877033439907272, 0.0, 0.31122966560092728, 0.73105857863000488, 2.8577223804672997, 9.9995460213129757, 100.0],
                   [-3.6828752162606276e-42, -0.00040856020865708232, -0.088104106015169617, 0.072329488128513268, 0.26003881269734819, 0.5, 0.73996118730265181, 0.92767051187148673, 1.0881041060151696, 1.0004085602086571, 1.0]),
        "softsign": ([-0.9900990099009901, -0.90909090909090909, -0.75, -0.5, -0.33333333333333333, 0.0, 0.33333333333333333, 0.5, 0.75, 0.90909090909090909, 0.9900990099009901],
                   [9.8029604940692089e-5, 0.0082644628099173554, 0.0625, 0.25, 0.44444444444444444, 1.0, 0.44444444444444444, 0.25, 0.0625, 0.0082644628099173554, 9.8029604940692089e-5]),
        "hardSigmoid": ([0, 0, 0, 0.3, 0.4, 0.5, 0.6, 0.7, 1, 1, 1],
                   [0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2, 0, 0, 0]),
        "logSigmoid": ([-100.0, -10.000045398899217, -3.0485873515737421, -1.3132616875182228, -0.97407698418010668, -0.69314718055994531, -0.47407698418010668, -0.31326168751822283, -0.048587351573742059, -4.5398899216864647e-5, -3.7200760688535691e-44],
                   [1.0, 0.99995460213129757, 0.95257412682243322, 0.73105857863000488, 0.62245933120185456, 0.5, 0.37754066879814544, 0.26894142136999512, 0.047425873177566781, 4.5397868702434395e-5, 3.720075976020836e-44]),
    ]

    var functions: [(String, (Tensor) throws -> Tensor)] { [
        ("leakyRelu", { try leakyRelu($0) }),
        ("elu", { try elu($0) }),
        ("selu", { try selu($0) }),
        ("gelu", { try gelu($0) }),
        ("geluTanh", { try gelu($0, approximate: true) }),
        ("silu", { try silu($0) }),
        ("softsign", { try softsign($0) }),
        ("hardSigmoid", { try hardSigmoid($0) }),
        ("logSigmoid", { try logSigmoid($0) }),
    ] }

    func testValuesAndGradientsAgainstMpmath() throws {
        for dtype in [DType.float32, .float64] {
            let x = Tensor.vector("x", dtype)
            for (name, f) in functions {
                let y = try f(x)
                XCTAssertEqual(y.dtype, dtype, name)
                let g = try grad(sum(y), wrt: x)
                let r = try function([x], [y, g]).call([NDArray(Self.points).astype(dtype)])
                let (value, gradient) = try XCTUnwrap(Self.expected[name])
                XCTAssertTrue(r[0].doubles.allSatisfy(\.isFinite), "\(name) \(dtype) value \(r[0].doubles)")
                XCTAssertTrue(r[1].doubles.allSatisfy(\.isFinite), "\(name) \(dtype) gradient \(r[1].doubles)")
                let (rtol, atol) = dtype == .float32 ? (2e-5, 1e-6) : (1e-12, 1e-15)
                assertClose(r[0], NDArray(value).astype(dtype), rtol: rtol, atol: atol, "\(name) \(dtype) value")
                assertClose(r[1], NDArray(gradient).astype(dtype), rtol: rtol, atol: atol, "\(name) \(dtype) gradient")
            }
        }
    }

    func testFiniteDifferenceGradientsAndShapes() throws {
        var data = TestData(seed: 70)
        for (name, f) in functions {
            // Away from the kinks (0, and ±2.5 for the hard sigmoid).
            let point = data.array([3, 4], low: -4, high: 4).map { $0.magnitude < 0.1 || ($0.magnitude - 2.5).magnitude < 0.1 ? $0 + 0.3 : $0 }
            do {
                try verifyGrad({ try f($0[0]) }, at: [point])
            } catch {
                XCTFail("\(name): \(error)")
            }
            for shape in [[3, 4], [0, 2], [1]] {
                let value = try data.nonContiguous(shape)
                let x = symbolicInput("x", value)
                try checkInferShape(try f(x), [x], [value])
            }
        }
    }

    func testIntegerInputsBecomeFloat() throws {
        for (input, output) in [(DType.int32, DType.float64), (.int8, .float32), (.bool, .float32), (.float32, .float32)] {
            let x = Tensor.vector("x", input)
            for (name, f) in functions { XCTAssertEqual(try f(x).dtype, output, "\(name) \(input)") }
        }
        let x = Tensor.vector("x", .int32)
        assertValues(try evaluate(try leakyRelu(x, alpha: 0.5), [x], [NDArray([-4, 0, 3] as [Int32])]), [-2, 0, 3])
    }

    func testParametersAndMethods() throws {
        let x = Tensor.vector("x", .float64)
        let a = NDArray([-2.0, -0.5, 0, 1.5])
        assertValues(try evaluate(try x.leakyRelu(alpha: 0.2), [x], [a]), [-0.4, -0.1, 0, 1.5])
        // 2 * (exp(-2) - 1), 2 * (exp(-0.5) - 1)
        assertValues(try evaluate(try x.elu(alpha: 2), [x], [a]), [-1.7293294335267746, -0.786938680574733, 0, 1.5], rtol: 1e-12)
        let methods: [(Tensor) throws -> Tensor] = [
            { try $0.selu() }, { try $0.gelu() }, { try $0.gelu(approximate: true) }, { try $0.silu() },
            { try $0.softsign() }, { try $0.hardSigmoid() }, { try $0.logSigmoid() },
        ]
        let frees: [(Tensor) throws -> Tensor] = [
            { try selu($0) }, { try gelu($0) }, { try gelu($0, approximate: true) }, { try silu($0) },
            { try softsign($0) }, { try hardSigmoid($0) }, { try logSigmoid($0) },
        ]
        let f = try function([x], try zip(methods, frees).flatMap { [try $0.0(x), try $0.1(x)] })
        let r = try f(a)
        for i in stride(from: 0, to: r.count, by: 2) { assertClose(r[i], r[i + 1], rtol: 0, atol: 0) }
    }
}
