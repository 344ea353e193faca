import Theano
import XCTest

/// The base class of op tests: tests that compile functions and must pass on every backend.
///
/// `./run.sh test` runs the whole suite on the default backend (`cpu`), then runs every class
/// derived from this one again with `THEANO_BACKEND=reference`; functions compiled without
/// explicit options follow that choice (``CompileOptions/current``). On a backend other than
/// the reference, functions compiled without an explicit mode use ``Mode/debug``, so every
/// kernel is also compared with the reference implementation as it runs. Failure messages
/// start with the backend they happened on.
///
/// (XCTest cannot run one test case instance twice, so the backends are parameterised per
/// test process rather than inside `invokeTest`.)
class BackendTestCase: XCTestCase {
    /// The backend this process tests.
    var backendName: String { CompileOptions.current.backend.name }

    override func invokeTest() {
        if backendName == "reference" {
            super.invokeTest()
        } else {
            Mode.$current.withValue(.debug) { super.invokeTest() }
        }
    }

    override func recordFailure(withDescription description: String, inFile filePath: String, atLine lineNumber: Int, expected: Bool) {
        super.recordFailure(withDescription: "[backend \(backendName)] " + description, inFile: filePath, atLine: lineNumber, expected: expected)
    }
}
