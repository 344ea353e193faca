import Theano
import XCTest

/// The shape feature's cache: kept across changes that its expressions do not read, rebuilt
/// after changes that they do.
final class ShapeFeatureTests: BackendTestCase {
    func testCachedShapesSurviveUnrelatedChangesAndFollowRelatedOnes() throws {
        let x = Tensor.vector("x", .float64)
        let n = try x.shape(0) * 2
        let filled = try alloc(Tensor.constant(0, .float64), shape: [n])
        let other = try exp(x) * 1
        let g = try FunctionGraph(inputs: [x.variable], outputs: [filled.variable, other.variable], clone: false)
        let feature = g.shapeFeature
        let before = try feature.shape(of: filled.variable)
        XCTAssertTrue(before[0] === n.variable)
        // Replacing a variable the expression does not read keeps the cached shape.
        try g.replace(other.variable, with: try exp(x).variable, reason: "test")
        XCTAssertTrue(try feature.shape(of: filled.variable)[0] === n.variable)
        // Replacing the size itself: the shape follows the replacement.
        let m = try x.shape(0) + x.shape(0)
        try g.replace(n.variable, with: m.variable, reason: "test")
        XCTAssertTrue(try feature.shape(of: filled.variable)[0] === m.variable)
    }
}
