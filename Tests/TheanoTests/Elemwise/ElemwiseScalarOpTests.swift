import Theano
import XCTest

/// The list of scalar ops (derived from ``ScalarOp/Tag``) and their reference meaning for
/// every dtype they accept.
final class ElemwiseScalarOpTests: BackendTestCase {
    func testAllCasesHasEveryTagAndACastPerDType() {
        let ops = ScalarOp.allCases
        XCTAssertEqual(ops.count, ScalarOp.Tag.allCases.count - 1 + DType.allCases.count)
        XCTAssertEqual(Set(ops).count, ops.count, "no duplicates")
        XCTAssertEqual(Set(ops.map(\.tag)), Set(ScalarOp.Tag.allCases))
        XCTAssertEqual(ops.filter { $0.tag == .cast }, DType.allCases.map { ScalarOp.cast($0) })
        for op in ops {
            XCTAssertTrue(op.tag.ops.contains(op), "\(op)")
            XCTAssertEqual(op.name, op.tag.rawValue)
        }
        XCTAssertEqual(ScalarOp.floorDiv.name, "floor_div")
        XCTAssertEqual(ScalarOp.trueDiv.name, "true_div")
        XCTAssertEqual(ScalarOp.cast(.int8).name, "cast")
        XCTAssertEqual(ScalarOp.cast(.int8).description, "cast{int8}")
        XCTAssertEqual(ScalarOp.where.description, "where")
    }

    func testEveryOpHasAReferenceImplementationForEveryDTypeItAccepts() throws {
        for op in ScalarOp.allCases {
            let accepted = op.acceptedInputTypes
            XCTAssertFalse(accepted.isEmpty, "\(op) accepts no dtype")
            for types in accepted {
                let variables = types.map { Tensor.variable(nil, $0, shape: [3]).variable }
                let values = try types.map { try NDArray.full([3], 1, $0) }
                let node = try Elemwise(op).makeNode(variables)
                let result = try Elemwise(op).perform(node, values)
                XCTAssertEqual(result[0].dtype, node.outputTypes[0].dtype, "\(op) on \(types)")
            }
        }
    }
}

extension ScalarOp {
    /// The input dtypes the op accepts (``outputDType(_:)`` succeeds): for each dtype, that
    /// dtype for every input (a bool condition for `where`).
    var acceptedInputTypes: [[DType]] {
        DType.allCases.map { t in self == .where ? [.bool, t, t] : Array(repeating: t, count: arity) }
            .filter { (try? outputDType($0).get()) != nil }
    }
}
