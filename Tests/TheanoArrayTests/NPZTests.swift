import Foundation
@testable import TheanoArray
import XCTest

final class NPZTests: XCTestCase {
    /// `np.savez(a=..., b=..., flag=..., s=..., e=...)` (stored members).
    func testReadsNumPySavez() throws {
        let entries = try NDArray.loadNPZEntries(from: fixtureURL("plain.npz"))
        XCTAssertEqual(entries.map(\.name), ["a", "b", "flag", "s", "e"], "archive order is kept")
        let arrays = try NDArray.loadNPZ(from: fixtureURL("plain.npz"))
        assertIdentical(try XCTUnwrap(arrays["a"]), try NDArray([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3]))
        assertIdentical(try XCTUnwrap(arrays["b"]), try NDArray.arange(5))
        assertIdentical(try XCTUnwrap(arrays["flag"]), NDArray([true, false]))
        assertIdentical(try XCTUnwrap(arrays["s"]), NDArray(scalar: 2.5))
        assertIdentical(try XCTUnwrap(arrays["e"]), try NDArray.zeros([0], .int16))
    }

    /// `np.savez_compressed(np.arange(3, dtype=uint8), weights=<Fortran-order float64>)`.
    func testReadsNumPySavezCompressed() throws {
        let entries = try NDArray.loadNPZEntries(from: fixtureURL("compressed.npz"))
        XCTAssertEqual(entries.map(\.name), ["weights", "arr_0"], "np.savez writes keyword arrays first")
        assertIdentical(entries[1].array, NDArray([0, 1, 2] as [UInt8]))
        let w = entries[0].array
        assertIdentical(w, try NDArray([0, 1, 2, 3, 4, 5] as [Double], shape: [2, 3]))
        XCTAssertTrue(w.isFortranContiguous)
    }

    func testRoundTripsStoredAndCompressed() throws {
        var entries: [(name: String, array: NDArray)] = []
        for (i, shape) in [[2, 3], [], [0, 4], [7]].enumerated() {
            for array in sampleArrays(shape: shape) {
                entries.append((name: "m\(entries.count)_\(array.dtype)_\(i)", array: array))
            }
        }
        entries.append((name: "view", array: try NDArray.arange(12).reshaped([3, 4]).transposed()))
        entries.append((name: "dir/nested name", array: NDArray([1] as [Int8])))
        for compressed in [false, true] {
            let data = try NDArray.npzData(entries, compressed: compressed)
            let back = try NDArray.loadNPZEntries(data: data)
            XCTAssertEqual(back.map(\.name), entries.map(\.name))
            for (x, y) in zip(back, entries) { assertIdentical(x.array, y.array) }
            XCTAssertEqual(try NDArray.npzData(entries, compressed: compressed), data, "output is deterministic")
        }
        let big = try NDArray.zeros([4096], .float64)
        XCTAssertLessThan(try NDArray.npzData([(name: "z", array: big)], compressed: true).count, 1000)
        XCTAssertGreaterThan(try NDArray.npzData([(name: "z", array: big)], compressed: false).count, 32768)
    }

    /// ZIP64 records (which large archives need, and which np.savez always puts in local
    /// headers) are written and read.
    func testZIP64RoundTrip() throws {
        let entries: [(name: String, array: NDArray)] = [(name: "a", array: NDArray([1, 2] as [Int16])), (name: "b", array: try NDArray.ones([3, 3]))]
        for compressed in [false, true] {
            let data = try NPZFormat.encode(entries, compressed: compressed, forceZIP64: true)
            XCTAssertNotNil(data.range(of: Data([0x50, 0x4B, 0x06, 0x06])), "has a ZIP64 end record")
            let back = try NDArray.loadNPZEntries(data: data)
            XCTAssertEqual(back.map(\.name), ["a", "b"])
            for (x, y) in zip(back, entries) { assertIdentical(x.array, y.array) }
        }
    }

    func testDictionaryFormsAndFiles() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("arrays.npz")
        let arrays = ["weights": try NDArray.randomNormal([3, 2], seed: 3), "bias": try NDArray.zeros([2]), "step": NDArray(scalar: Int32(7))]
        try NDArray.saveNPZ(arrays, to: url)
        XCTAssertEqual(try NDArray.loadNPZEntries(from: url).map(\.name), ["bias", "step", "weights"], "a dictionary is written in name order")
        let back = try NDArray.loadNPZ(from: url)
        XCTAssertEqual(Set(back.keys), Set(arrays.keys))
        for (name, array) in arrays { assertIdentical(try XCTUnwrap(back[name]), array) }

        try NDArray.saveNPZ([(name: "b", array: NDArray([1.0])), (name: "a", array: NDArray([2.0]))], to: url, compressed: true)
        XCTAssertEqual(try NDArray.loadNPZEntries(from: url).map(\.name), ["b", "a"])
        XCTAssertEqual(try NDArray.loadNPZ(data: Data(contentsOf: url)).count, 2)
        XCTAssertEqual(try NDArray.loadNPZ(data: NDArray.npzData([:])).count, 0, "an empty archive")
        XCTAssertEqual(try NDArray.loadNPZ(data: NDArray.npzData(["x": NDArray([1] as [Int16])])).keys.sorted(), ["x"])

        assertThrows(.io, containing: ["cannot read npz file", "missing.npz"]) { try NDArray.loadNPZ(from: dir.appendingPathComponent("missing.npz")) }
        assertThrows(.io, containing: ["cannot write npz file"]) { try NDArray.saveNPZ(arrays, to: dir.appendingPathComponent("no/dir/a.npz")) }
    }

    func testBadNames() {
        assertThrows(.invalidArgument, containing: ["npz", "empty"]) { try NDArray.npzData([(name: "", array: NDArray([1.0]))]) }
        assertThrows(.invalidArgument, containing: ["npz", "'a'", "more than one"]) {
            try NDArray.npzData([(name: "a", array: NDArray([1.0])), (name: "a", array: NDArray([2.0]))])
        }
    }

    func testNotAnArchive() throws {
        assertThrows(.io, containing: ["npz data", "not a valid .npz (ZIP) archive"]) { try NDArray.loadNPZ(data: Data("hello".utf8)) }
        assertThrows(.io, containing: ["not a valid .npz"]) { try NDArray.loadNPZ(data: Data()) }
        assertThrows(.io, containing: ["npz file", "f4_c.npy", "not a valid .npz"]) { try NDArray.loadNPZ(from: fixtureURL("f4_c.npy")) }
    }

    func testMemberThatIsNotNPY() throws {
        // A member named .npy whose content is not a .npy file.
        let good = try NDArray.npzData([(name: "x", array: NDArray([1, 2] as [Int32]))])
        var bad = try Data(contentsOf: fixtureURL("plain.npz"))
        XCTAssertGreaterThan(bad.count, 0)
        // Replace the magic of the first member's data (stored, right after its local header).
        let magic = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
        let range = try XCTUnwrap(bad.range(of: magic))
        bad[range.lowerBound + 1] = UInt8(ascii: "X")
        assertThrows(.io, containing: ["npz data", "member 'a.npy'"]) { try NDArray.loadNPZ(data: bad) }
        XCTAssertNoThrow(try NDArray.loadNPZ(data: good))
    }

    func testTruncatedArchivesThrow() throws {
        for name in ["plain.npz", "compressed.npz"] {
            let data = try Data(contentsOf: fixtureURL(name))
            for length in stride(from: 0, to: data.count, by: 7) {
                assertThrows(.io) { try NDArray.loadNPZ(data: data.prefix(length)) }
            }
        }
    }

    /// Random byte flips in a valid archive either still read (a flip in an unused field) or
    /// throw `.io`; nothing crashes.
    func testRandomCorruptionNeverCrashes() throws {
        var rng = RandomGenerator(seed: 77)
        for name in ["plain.npz", "compressed.npz"] {
            let source = try Data(contentsOf: fixtureURL(name))
            for _ in 0..<200 {
                var data = source
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let position = Int(rng.next() % UInt64(data.count))
                    data[position] = UInt8(truncatingIfNeeded: rng.next())
                }
                do {
                    _ = try NDArray.loadNPZEntries(data: data)
                } catch let error as TheanoError {
                    XCTAssertEqual(error.kind, .io, error.message)
                }
            }
        }
    }

    func testCorruptMemberDataFailsTheChecksum() throws {
        var data = try NDArray.npzData([(name: "x", array: NDArray([1, 2, 3, 4] as [Int64]))])
        // The last element's bytes sit just before the central directory; flip one.
        let payload = try XCTUnwrap(data.range(of: Data([4, 0, 0, 0, 0, 0, 0, 0])))
        data[payload.lowerBound] = 5
        assertThrows(.io, containing: ["member 'x.npy'", "checksum"]) { try NDArray.loadNPZ(data: data) }
    }

    /// Archives made by other tools may hold directories and other files: only `.npy` members
    /// are arrays.
    func testSkipsDirectoriesAndOtherFiles() throws {
        let members = [
            ZIPArchive.Member(name: "notes/", data: Data()),
            ZIPArchive.Member(name: "notes/readme.txt", data: Data("hello".utf8)),
            ZIPArchive.Member(name: "notes/w.npy", data: NDArray([1, 2] as [Int32]).npyData()),
        ]
        let data = try ZIPArchive.write(members, compressed: true)
        let entries = try NDArray.loadNPZEntries(data: data)
        XCTAssertEqual(entries.map(\.name), ["notes/w"])
        assertIdentical(entries[0].array, NDArray([1, 2] as [Int32]))
    }

    func testUnsupportedMembers() throws {
        let good = try NDArray.npzData([(name: "x", array: NDArray([1.0]))])
        let directory = try XCTUnwrap(good.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        var method = good
        method[directory + 10] = 12  // bzip2
        assertThrows(.io, containing: ["member 'x.npy'", "compression method 12", "stored (0) and deflate (8)"]) { try NDArray.loadNPZ(data: method) }
        var encrypted = good
        encrypted[directory + 8] |= 1
        assertThrows(.io, containing: ["member 'x.npy'", "encrypted"]) { try NDArray.loadNPZ(data: encrypted) }
        var outside = good
        outside[directory + 45] = 0x7F  // local header offset far past the end
        assertThrows(.io, containing: ["damaged ZIP archive", "local header of member 'x.npy'", "outside the archive"]) { try NDArray.loadNPZ(data: outside) }
        var count = good
        count[count.count - 12] = 9  // the end record claims 9 members
        assertThrows(.io, containing: ["damaged ZIP archive", "lists 9 members"]) { try NDArray.loadNPZ(data: count) }
        var size = good
        size[directory + 24] &+= 1  // recorded size no longer matches the stored bytes
        assertThrows(.io, containing: ["stored member 'x.npy'", "records a size"]) { try NDArray.loadNPZ(data: size) }
    }

    func testCorruptDeflateStreams() throws {
        let good = try NDArray.npzData([(name: "x", array: try NDArray.ones([64], .float64))], compressed: true)
        let directory = try XCTUnwrap(good.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        var bigger = good
        bigger[directory + 24] &+= 8  // claims more bytes than the stream holds
        assertThrows(.io, containing: ["member 'x.npy'"]) { try NDArray.loadNPZ(data: bigger) }
        var huge = good
        huge[directory + 27] = 0x7F  // claims about 2 GB from a few dozen compressed bytes
        assertThrows(.io, containing: ["member 'x.npy' claims"]) { try NDArray.loadNPZ(data: huge) }
        var garbage = good
        let localData = 30 + 5  // local header + "x.npy"
        for i in localData..<(localData + 6) { garbage[i] = 0xFF }
        assertThrows(.io, containing: ["member 'x.npy'"]) { try NDArray.loadNPZ(data: garbage) }
    }
}
