import Theano
import XCTest

/// Asserts that two arrays have the same dtype and shape and that their values agree within
/// `rtol`/`atol` (NaNs must match NaNs, infinities must match exactly).
func assertClose(
    _ actual: NDArray, _ expected: NDArray, rtol: Double = 1e-5, atol: Double = 1e-6,
    checkDType: Bool = true, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    if checkDType {
        XCTAssertEqual(actual.dtype, expected.dtype, "dtype differs. \(message())", file: file, line: line)
    }
    XCTAssertEqual(actual.shape, expected.shape, "shape differs. \(message())", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let a = actual.doubles, e = expected.doubles
    for i in a.indices {
        let (x, y) = (a[i], e[i])
        if x.isNaN || y.isNaN {
            if !(x.isNaN && y.isNaN) {
                XCTFail("element \(i): got \(x), expected \(y). \(message())", file: file, line: line)
                return
            }
            continue
        }
        if x.isInfinite || y.isInfinite {
            if x != y {
                XCTFail("element \(i): got \(x), expected \(y). \(message())", file: file, line: line)
                return
            }
            continue
        }
        if abs(x - y) > atol + rtol * abs(y) {
            XCTFail("element \(i): got \(x), expected \(y) (|diff| \(abs(x - y))). \(message())", file: file, line: line)
            return
        }
    }
}

/// Asserts that an array has the given shape and values (compared as Doubles).
func assertValues(
    _ actual: NDArray, _ expected: [Double], shape: [Int]? = nil, rtol: Double = 1e-5, atol: Double = 1e-6,
    file: StaticString = #filePath, line: UInt = #line
) {
    let e = (try? NDArray(expected, shape: shape ?? actual.shape)) ?? NDArray(expected)
    assertClose(actual, e, rtol: rtol, atol: atol, checkDType: false, file: file, line: line)
}

/// Asserts that `body` throws a ``TheanoError`` of `kind` whose message contains every string
/// in `containing` (so tests pin down that messages name the op, input and types).
func assertThrows<T>(
    _ kind: TheanoError.Kind? = nil, containing: [String] = [],
    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected an error, got none", file: file, line: line)
    } catch let error as TheanoError {
        if let kind { XCTAssertEqual(error.kind, kind, "wrong kind; message: \(error.message)", file: file, line: line) }
        for s in containing {
            XCTAssertTrue(error.message.contains(s), "message lacks '\(s)': \(error.message)", file: file, line: line)
        }
    } catch {
        XCTFail("expected a TheanoError, got \(error)", file: file, line: line)
    }
}

/// The tolerance for two runs of one graph that may take different code paths: exact on the
/// reference backend (the same scalar code in the same order); on compiled backends a few
/// units in the last place, since contiguous loops run vectorised math (libmvec) and strided
/// or unfused ones scalar libm.
func pathTolerance(_ dtype: DType) -> (rtol: Double, atol: Double) {
    if CompileOptions.current.backend.name == "reference" { return (0, 0) }
    switch dtype {
    case .float32: return (1e-5, 1e-6)
    case .float64: return (1e-13, 1e-14)
    default: return (0, 0)
    }
}
