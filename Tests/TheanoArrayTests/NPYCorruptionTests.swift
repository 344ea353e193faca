import Foundation
import TheanoArray
import XCTest

/// Malformed `.npy` data is a thrown `.io` error that says what is wrong, never a crash.
final class NPYCorruptionTests: XCTestCase {
    private func npy(_ header: String, _ payload: [UInt8] = [], version: UInt8 = 1) -> Data {
        makeNPY(header, payload, version: version)
    }

    func testBadMagicAndVersion() throws {
        let good = NDArray([1, 2, 3] as [Int32]).npyData()
        var bad = good
        bad[1] = UInt8(ascii: "X")
        assertThrows(.io, containing: ["npy data", "magic string"]) { try NDArray(npyData: bad) }
        assertThrows(.io, containing: ["magic string"]) { try NDArray(npyData: Data("PK\u{3}\u{4} not npy".utf8)) }
        assertThrows(.io, containing: ["magic string"]) { try NDArray(npyData: Data()) }
        for (major, minor) in [(0, 0), (4, 0), (1, 1), (255, 255)] {
            var v = good
            v[6] = UInt8(major)
            v[7] = UInt8(minor)
            assertThrows(.io, containing: ["unsupported .npy format version \(major).\(minor)", "1.0, 2.0 and 3.0"]) { try NDArray(npyData: v) }
        }
    }

    func testEveryTruncationThrows() throws {
        for array in [NDArray([1.5, 2.5] as [Double]), try NDArray.arange(6, .int16).reshaped([2, 3]), NDArray(scalar: true)] {
            let data = array.npyData()
            for length in 0..<data.count {
                assertThrows(.io) { try NDArray(npyData: data.prefix(length)) }
            }
        }
        let data = NDArray([1.5, 2.5] as [Double]).npyData()
        assertThrows(.io, containing: ["truncated", "[2]", "float64", "16 bytes", "only 8"]) { try NDArray(npyData: data.prefix(data.count - 8)) }
        assertThrows(.io, containing: ["header length 118 runs past the end"]) { try NDArray(npyData: data.prefix(50)) }
        assertThrows(.io, containing: ["truncated", "header length"]) { try NDArray(npyData: data.prefix(9)) }
        assertThrows(.io, containing: ["truncated", "format version"]) { try NDArray(npyData: data.prefix(7)) }
    }

    func testMalformedHeaders() {
        let cases: [(String, [String])] = [
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}", ["not a valid Python dict literal", "expected ',' or ')'"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", ["not a valid Python dict literal", "missing '}'"]),
            ("{'descr': '<f4' 'fortran_order': False}", ["expected ',' or '}'"]),
            ("{descr: '<f4'}", ["expected a string key"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", ["unexpected 'j'"]),
            ("{'descr': '<f4', 'fortran_order': Flase, 'shape': (2,)}", ["unexpected 'Flase'"]),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", ["not a valid Python dict literal"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", ["expected an integer"]),
            ("['descr', '<f4']", ["the header is not a dict"]),
            ("", ["unexpected end of text"]),
            ("{'fortran_order': False, 'shape': (2,)}", ["no 'descr' key"]),
            ("{'descr': '<f4', 'shape': (2,)}", ["no 'fortran_order' key"]),
            ("{'descr': '<f4', 'fortran_order': False}", ["no 'shape' key"]),
            ("{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,)}", ["'fortran_order' must be True or False", "'no'"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': 2}", ["'shape' must be a tuple of integers", "got 2"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", ["'shape' must be a tuple of integers"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}", ["'shape' must be a tuple of integers", "('2',)"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}", ["negative size", "(2, -1)"]),
            ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", ["structured dtypes cannot be read"]),
            ("{'descr': '<c8', 'fortran_order': False, 'shape': (2,)}", ["unsupported dtype '<c8'"]),
            ("{'descr': '<f2', 'fortran_order': False, 'shape': (2,)}", ["unsupported dtype '<f2'"]),
            ("{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", ["unsupported dtype '|O'"]),
            ("{'descr': '>i8', 'fortran_order': False, 'shape': (2,)}", ["big-endian dtype '>i8'"]),
            ("{'descr': '', 'fortran_order': False, 'shape': (2,)}", ["unsupported dtype ''"]),
            (String(repeating: "(", count: 100) + ")", ["nesting too deep"]),
        ]
        for (header, parts) in cases {
            assertThrows(.io, containing: ["npy data:"] + parts) { try NDArray(npyData: npy(header, Array(repeating: 0, count: 64))) }
        }
    }

    func testAbsurdSizesThrowWithoutAllocating() {
        let cases: [(String, [String])] = [
            ("(1099511627776, 1099511627776)", ["too many elements"]),
            ("(2305843009213693952,)", ["too many elements"]),  // 2^61 float64 elements: 2^64 bytes
            ("(100000000000000000000,)", ["integer too large"]),
            ("(1000000000,)", ["truncated", "4000000000 bytes", "only 0"]),
            // Zero elements, but strides that do not fit: refused, as NumPy refuses it.
            ("(9223372036854775807, 0)", ["too many elements"]),
            ("(1073741824, 0, 1073741823)", []),  // zero elements: valid, empty
        ]
        for (shape, parts) in cases {
            let data = npy("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }")
            if parts.isEmpty {
                XCTAssertEqual(try NDArray(npyData: data).count, 0)
            } else {
                assertThrows(.io, containing: parts) { try NDArray(npyData: data) }
            }
        }
        let big = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }")
        assertThrows(.io, containing: ["too many elements"]) { try NDArray(npyData: big) }
    }

    func testHeaderEncodings() {
        // Version 3.0 headers are UTF-8; invalid UTF-8 is refused.
        var data = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 'ab'}", [1], version: 3)
        if let i = data.firstIndex(of: UInt8(ascii: "b")) { data[i] = 0xFF }
        assertThrows(.io, containing: ["not valid UTF-8"]) { try NDArray(npyData: data) }
        // Versions 1.0 and 2.0 are Latin-1, where any byte is a character.
        var latin = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 'ab'}", [1])
        if let i = latin.firstIndex(of: UInt8(ascii: "b")) { latin[i] = 0xE9 }
        XCTAssertEqual(try NDArray(npyData: latin).toArray(of: UInt8.self), [1])
    }

    /// Random byte flips in a valid file either still read or throw `.io`; nothing crashes.
    func testRandomCorruptionNeverCrashes() throws {
        let sources = [NDArray([1, 2, 3, 4] as [Float]).npyData(), try NDArray.arange(6, .int8).reshaped([2, 3]).npyData(fortranOrder: true)]
        var rng = RandomGenerator(seed: 2024)
        for source in sources {
            for _ in 0..<300 {
                var data = source
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let position = Int(rng.next() % UInt64(data.count))
                    data[position] = UInt8(truncatingIfNeeded: rng.next())
                }
                do {
                    _ = try NDArray(npyData: data)
                } catch let error as TheanoError {
                    XCTAssertEqual(error.kind, .io, error.message)
                }
            }
        }
    }
}
