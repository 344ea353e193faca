import Theano
import XCTest

final class DigammaTests: BackendTestCase {
    func testValuesAgainstSciPy() throws {
        // scipy.special.digamma
        let x = Tensor.vector("x", .float64)
        let points = [1.0, 0.5, -0.5, 10, 0.001, 3.7, 100, -2.3]
        let expected = [-0.5772156649015329, -1.9635100260214235, 0.03648997397857652, 2.251752589066721,
                        -1000.5755719318103, 1.1671535393615113, 4.600161852738088, 3.3173231575618236]
        assertValues(try digamma(x).eval([x: NDArray(points)]), expected, rtol: 1e-12, atol: 1e-12)
        let poles = try digamma(x).eval([x: NDArray([0.0, -1, -2])]).doubles
        XCTAssertTrue(poles.allSatisfy(\.isNaN))
        let f32 = Tensor.vector("f", .float32)
        XCTAssertEqual(try digamma(f32).dtype, .float32)
    }

    func testGammaAndLgammaGradientsUseDigamma() throws {
        try verifyGrad({ try gamma($0[0]) }, at: [NDArray([0.7, 1.5, 3.2, -0.4])])
        try verifyGrad({ try lgamma($0[0]) }, at: [NDArray([0.7, 1.5, 3.2, 12.5])])
    }
}
