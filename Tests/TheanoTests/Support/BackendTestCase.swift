import Theano
import XCTest

/// A test case whose every test runs once per backend, so op tests check what users run.
///
/// Functions compiled without explicit options or mode use the run's backend (the
/// task-locals ``CompileOptions/current`` and ``Mode/current``):
/// - `reference`: every node's reference `perform`, with ``Mode/fastRun``;
/// - `cpu`: the default backend (generated C, OpenBLAS, nested programs) in ``Mode/debug``,
///   so every kernel is also compared with the reference as it runs.
///
/// A failure message starts with the backend it happened on.
class BackendTestCase: XCTestCase {
    /// The runs of every test: a name, the compile options and the mode.
    static let runs: [(name: String, options: CompileOptions, mode: Mode)] = [
        ("reference", CompileOptions(backend: .reference), .fastRun),
        ("cpu", CompileOptions(backend: .cpu), .debug),
    ]

    /// The backend of the run in progress.
    private(set) var backendName = ""

    override func invokeTest() {
        for run in BackendTestCase.runs {
            backendName = run.name
            CompileOptions.$current.withValue(run.options) {
                Mode.$current.withValue(run.mode) { super.invokeTest() }
            }
        }
        backendName = ""
    }

    override func recordFailure(withDescription description: String, inFile filePath: String, atLine lineNumber: Int, expected: Bool) {
        let prefix = backendName.isEmpty ? "" : "[backend \(backendName)] "
        super.recordFailure(withDescription: prefix + description, inFile: filePath, atLine: lineNumber, expected: expected)
    }
}
