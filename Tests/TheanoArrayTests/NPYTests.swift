import Foundation
import TheanoArray
import XCTest

final class NPYTests: XCTestCase {
    // MARK: Files written by NumPy (Fixtures/make_fixtures.py)

    func testReadsEveryDTypeWrittenByNumPy() throws {
        let f4 = try NDArray.loadNPY(from: fixtureURL("f4_c.npy"))
        assertIdentical(f4, try NDArray([0, 1.5, -2.25, .infinity, .nan, -0.0] as [Float], shape: [2, 3]))
        let b = try NDArray.loadNPY(from: fixtureURL("bool.npy"))
        assertIdentical(b, try NDArray([true, false, true, false, false, true], shape: [2, 3]))
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("u1.npy")), NDArray([0, 1, 127, 128, 255] as [UInt8]))
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("i1.npy")), NDArray([-128, -1, 0, 1, 127] as [Int8]))
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("i2.npy")), NDArray([-32768, -1, 0, 1, 32767] as [Int16]))
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("i8.npy")), NDArray([.min, -1, 0, 1, .max] as [Int64]))
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("f8_scalar.npy")), NDArray(scalar: 3.5))
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("f4_empty_0x3.npy")), try NDArray.zeros([0, 3], .float32))
    }

    func testReadsFortranOrderAsFortranStrides() throws {
        let f8 = try NDArray.loadNPY(from: fixtureURL("f8_fortran.npy"))
        XCTAssertEqual(f8.strides, [1, 3])
        XCTAssertTrue(f8.isFortranContiguous)
        assertIdentical(f8, try NDArray((0..<12).map { Double($0) / 4 }, shape: [3, 4]))
        let i4 = try NDArray.loadNPY(from: fixtureURL("i4_fortran_3d.npy"))
        XCTAssertEqual(i4.strides, [1, 2, 6])
        assertIdentical(i4, try NDArray((0..<24).map { Int32($0 - 10) }, shape: [2, 3, 4]))
        XCTAssertEqual(try i4.element([1, 2, 3], as: Int.self), 13)
    }

    func testReadsFormatVersions2And3() throws {
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("v2_i4.npy")), try NDArray((0..<6).map { Int32($0) }, shape: [2, 3]))
        assertIdentical(try NDArray.loadNPY(from: fixtureURL("v3_f4.npy")), NDArray([1, 2, 3] as [Float]))
        XCTAssertEqual(try Data(contentsOf: fixtureURL("v2_i4.npy"))[6], 2)
        XCTAssertEqual(try Data(contentsOf: fixtureURL("v3_f4.npy"))[6], 3)
    }

    func testBoolBytesAreNormalised() throws {
        let b = try NDArray.loadNPY(from: fixtureURL("bool_bytes.npy"))  // bytes 0, 1, 2, 255
        XCTAssertEqual(b.toArray(of: Bool.self), [false, true, true, true])
        XCTAssertEqual(elementBytes(b), [0, 1, 1, 1])
        XCTAssertEqual(b, NDArray([false, true, true, true]))
    }

    func testRefusesBigEndianAndUnsupportedDTypes() throws {
        assertThrows(.io, containing: ["be_f4.npy", "big-endian", "'>f4'"]) { try NDArray.loadNPY(from: fixtureURL("be_f4.npy")) }
        assertThrows(.io, containing: ["u4.npy", "unsupported dtype '<u4'", "float32"]) { try NDArray.loadNPY(from: fixtureURL("u4.npy")) }
        assertThrows(.io, containing: ["str.npy", "unsupported dtype '<U2'"]) { try NDArray.loadNPY(from: fixtureURL("str.npy")) }
    }

    /// Our writer produces the very bytes NumPy wrote (same header text and padding).
    func testWritesTheSameBytesAsNumPy() throws {
        for (name, fortran) in [("f4_c.npy", false), ("bool.npy", false), ("u1.npy", false), ("i1.npy", false),
                                ("i2.npy", false), ("i8.npy", false), ("f8_scalar.npy", false),
                                ("f4_empty_0x3.npy", false), ("f8_fortran.npy", true), ("i4_fortran_3d.npy", true)] {
            let url = try fixtureURL(name)
            let numpyBytes = try Data(contentsOf: url)
            XCTAssertEqual(try NDArray.loadNPY(from: url).npyData(fortranOrder: fortran), numpyBytes, name)
        }
    }

    // MARK: Round trips

    func testRoundTripsEveryDTypeShapeAndOrder() throws {
        for shape in [[2, 3], [], [0, 3], [3, 0, 2], [5], [2, 3, 4], [1, 1]] {
            for array in sampleArrays(shape: shape) {
                for fortran in [false, true] {
                    let data = array.npyData(fortranOrder: fortran)
                    XCTAssertEqual(data.count % 64, array.byteCount % 64, "header pads to 64 bytes")
                    let back = try NDArray(npyData: data)
                    assertIdentical(back, array)
                    if fortran && shape.filter({ $0 > 1 }).count > 1 {
                        XCTAssertTrue(back.isFortranContiguous)
                        XCTAssertFalse(back.isContiguous)
                    } else if !fortran {
                        XCTAssertTrue(back.isContiguous)
                    }
                }
            }
        }
    }

    func testWritesViewsByValue() throws {
        let a = try NDArray.arange(24, .int16).reshaped([2, 3, 4])
        let views = [
            try a.transposed([2, 0, 1]),
            try a.slice([.slice(start: nil, stop: nil, step: -1), .index(1), .slice(start: 1, stop: nil, step: 2)]),
            try NDArray([1, 2, 3] as [Float]).broadcast(to: [2, 3]),
        ]
        for v in views {
            assertIdentical(try NDArray(npyData: v.npyData()), v)
            assertIdentical(try NDArray(npyData: v.npyData(fortranOrder: true)), v)
        }
    }

    func testHeaderIsWhatNumPyWrites() throws {
        let data = try NDArray.arange(3, .float64).reshaped([1, 3]).npyData()
        XCTAssertEqual(Array(data.prefix(8)), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3), }"), header)
        XCTAssertTrue(header.hasSuffix(" \n"))
        let fortran = try NDArray.zeros([2, 2], .bool).npyData(fortranOrder: true)
        XCTAssertTrue(String(decoding: fortran, as: UTF8.self).contains("{'descr': '|b1', 'fortran_order': True, 'shape': (2, 2), }"))
        let scalar = NDArray(scalar: Int32(1)).npyData()
        XCTAssertTrue(String(decoding: scalar, as: UTF8.self).contains("'descr': '<i4', 'fortran_order': False, 'shape': (), }"))
    }

    func testFilesRoundTrip() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("a.npy")
        let a = try NDArray.randomNormal([3, 4], seed: 1, .float64)
        try a.saveNPY(to: url)
        assertIdentical(try NDArray.loadNPY(from: url), a)
        try a.saveNPY(to: url, fortranOrder: true)  // replaces the file
        let back = try NDArray.loadNPY(from: url)
        assertIdentical(back, a)
        XCTAssertTrue(back.isFortranContiguous)
        assertThrows(.io, containing: ["cannot read npy file", "missing.npy"]) {
            try NDArray.loadNPY(from: dir.appendingPathComponent("missing.npy"))
        }
        assertThrows(.io, containing: ["cannot write npy file", "no/such/dir"]) {
            try a.saveNPY(to: dir.appendingPathComponent("no/such/dir/a.npy"))
        }
    }

    // MARK: Header parsing

    func testParsesHeaderVariants() throws {
        let payload: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
        let expected = NDArray([1, 2] as [Int64])
        let variants = [
            "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
            "{\"shape\":(2,),\"fortran_order\":False,\"descr\":\"<i8\"}",
            "{ 'fortran_order' : False ,\n 'descr' : 'i8' , 'shape' : ( 2 , ) , }",
            "{'descr': '=i8', 'fortran_order': False, 'shape': (2L,)}",
            "{'descr': 'int64', 'fortran_order': False, 'shape': [2]}",
            "{'descr': 'q', 'fortran_order': False, 'shape': (2,), 'extra': None}",
            "{'descr': '<i8', 'fortran_order': True, 'shape': (2,), }",
        ]
        for header in variants {
            assertIdentical(try NDArray(npyData: makeNPY(header, payload)), expected)
        }
        assertIdentical(try NDArray(npyData: makeNPY("{'descr':'<f4','fortran_order':False,'shape':(1, 1,),}", [0, 0, 0x80, 0x3F])),
                        try NDArray([1] as [Float], shape: [1, 1]))
        assertIdentical(try NDArray(npyData: makeNPY("{'descr': '<f8', 'fortran_order': False, 'shape': ()}", Array(NDArray(scalar: 2.0).npyData().suffix(8)))),
                        NDArray(scalar: 2.0))
        // Trailing bytes after the elements are ignored, as NumPy does.
        assertIdentical(try NDArray(npyData: makeNPY("{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}", [7, 8, 9])), NDArray([7, 8] as [UInt8]))
        // Versions 2.0 and 3.0 hand-made; 3.0 may use UTF-8 in the header.
        assertIdentical(try NDArray(npyData: makeNPY("{'descr': '|i1', 'fortran_order': False, 'shape': (1,)}", [0xFF], version: 2)), NDArray([-1] as [Int8]))
        assertIdentical(try NDArray(npyData: makeNPY("{'descr': '|i1', 'fortran_order': False, 'shape': (1,), 'note': 'é'}", [5], version: 3)), NDArray([5] as [Int8]))
    }

    func testAcceptsEveryDescrSpelling() throws {
        let spellings: [DType: [String]] = [
            .bool: ["|b1", "<b1", "b1", "?", "bool"],
            .uint8: ["|u1", "<u1", ">u1", "u1", "B", "uint8"],
            .int8: ["|i1", "i1", "b", "int8"],
            .int16: ["<i2", "=i2", "i2", "h", "int16"],
            .int32: ["<i4", "i4", "i", "int32"],
            .int64: ["<i8", "i8", "l", "q", "p", "int64", "int"],
            .float32: ["<f4", "f4", "f", "float32", "single"],
            .float64: ["<f8", "f8", "d", "float64", "=f8", "float", "double"],
        ]
        for (dtype, names) in spellings {
            for descr in names {
                let header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }"
                let a = try NDArray(npyData: makeNPY(header, Array(repeating: 0, count: dtype.byteSize)))
                XCTAssertEqual(a.dtype, dtype, descr)
            }
        }
    }

    /// A header too long for format 1.0 (over 65535 bytes) is written as format 2.0.
    func testLongHeadersUseVersion2() throws {
        let a = try NDArray([7] as [Int16], shape: Array(repeating: 1, count: 22_000))
        let data = a.npyData()
        XCTAssertEqual(data[6], 2)
        let headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
        XCTAssertGreaterThan(headerLength, 65_535)
        XCTAssertEqual((12 + headerLength) % 64, 0)
        let back = try NDArray(npyData: data)
        XCTAssertEqual(back.shape, a.shape)
        XCTAssertEqual(back.toArray(of: Int16.self), [7])
    }
}
