import Foundation
import TheanoArray
import XCTest

/// Asserts that `body` throws a ``TheanoError`` of `kind` whose message contains every string
/// in `containing`.
func assertThrows<T>(
    _ kind: TheanoError.Kind, containing: [String] = [],
    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected a \(kind) error, got none", file: file, line: line)
    } catch let error as TheanoError {
        XCTAssertEqual(error.kind, kind, "wrong kind; message: \(error.message)", file: file, line: line)
        for s in containing {
            XCTAssertTrue(error.message.contains(s), "message lacks '\(s)': \(error.message)", file: file, line: line)
        }
    } catch {
        XCTFail("expected a TheanoError, got \(error)", file: file, line: line)
    }
}

/// Asserts that two arrays have the same dtype, shape and bit-identical elements (so NaN
/// equals NaN and -0.0 differs from 0.0).
func assertIdentical(_ actual: NDArray, _ expected: NDArray, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.dtype, expected.dtype, "dtype", file: file, line: line)
    XCTAssertEqual(actual.shape, expected.shape, "shape", file: file, line: line)
    XCTAssertEqual(elementBytes(actual), elementBytes(expected), "elements differ: \(actual) vs \(expected)", file: file, line: line)
}

/// The raw bytes of the elements in C order.
func elementBytes(_ a: NDArray) -> [UInt8] {
    let c = a.contiguous()
    let start = c.storage.baseAddress + c.offset * c.dtype.byteSize
    return Array(UnsafeRawBufferPointer(start: start, count: c.byteCount))
}

/// The URL of a committed fixture file.
func fixtureURL(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        XCTFail("missing fixture \(name)", file: file, line: line)
        throw TheanoError.io("missing fixture \(name)")
    }
    return url
}

/// A fresh empty temporary directory, removed when the test ends.
func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("TheanoArrayTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// One small array of every dtype with awkward values (extremes, negative zero, infinities).
func sampleArrays(shape: [Int]) -> [NDArray] {
    let n = shapeSize(shape)
    let doubles = (0..<n).map { i -> Double in
        let pattern: [Double] = [0, 1.5, -2.25, .infinity, -0.0, 1e-300, -.infinity, 3e38, 127, -128]
        return pattern[i % pattern.count] + (i >= pattern.count ? Double(i) : 0)
    }
    let ints = (0..<n).map { Int64($0 * 37 - 100) * 1_000_003 }
    return DType.allCases.map { dtype -> NDArray in
        switch dtype {
        case .bool: return (try? NDArray((0..<n).map { $0 % 3 == 1 }, shape: shape)) ?? NDArray(zeros: shape, dtype: .bool)
        case .float32, .float64:
            return ((try? NDArray(doubles, shape: shape)) ?? NDArray(zeros: shape, dtype: .float64)).astype(dtype)
        default:
            return ((try? NDArray(ints, shape: shape)) ?? NDArray(zeros: shape, dtype: .int64)).astype(dtype)
        }
    }
}

/// A `.npy` file with the given header text (padded like NumPy) and raw payload.
func makeNPY(_ header: String, _ payload: [UInt8], version: UInt8 = 1) -> Data {
    var text = Array(header.utf8)
    let prefix = version == 1 ? 10 : 12
    text += Array(repeating: UInt8(ascii: " "), count: (64 - (prefix + text.count + 1) % 64) % 64) + [10]
    var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
    let n = text.count
    data += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n >> 16), 0]
    return data + text + payload
}

extension Data {
    /// The little-endian integer of `width` bytes at `offset` (from the start), or -1 when it
    /// does not fit in the data. Eight-byte values above `Int.max` wrap to negative.
    func readLittleEndian(at offset: Int, width: Int) -> Int {
        guard offset >= 0, offset <= count - width else { return -1 }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(self[startIndex + offset + i]) << (8 * UInt64(i)) }
        return Int(truncatingIfNeeded: value)
    }

    /// Writes the low `width` bytes of `value`, little-endian, at `offset` when they fit.
    mutating func writeLittleEndian(_ value: Int, at offset: Int, width: Int) {
        guard offset >= 0, offset <= count - width else { return }
        let bits = UInt64(bitPattern: Int64(value))
        for i in 0..<width { self[startIndex + offset + i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i))) }
    }
}
