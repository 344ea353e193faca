import Foundation
import XCTest
@testable import TheanoArray

/// Decompression bombs: an archive is bounded in what it inflates to in all, and its members
/// may not share bytes.
final class NPZBombTests: XCTestCase {
    /// A deflated archive of one array of zeros: about 64 KiB that compress to a few hundred bytes.
    private func oneMember() throws -> Data {
        try NDArray.npzData([(name: "z", array: try NDArray.zeros([8192], .float64))], compressed: true)
    }

    /// The archive with its one central-directory entry repeated until there are `entries`,
    /// each named by a letter but all pointing at the same member: the bomb of issue 9.
    private func bomb(entries: Int) throws -> Data {
        let data = try oneMember()
        let directory = try XCTUnwrap(data.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        let end = try XCTUnwrap(data.range(of: Data([0x50, 0x4B, 0x05, 0x06]), options: .backwards)).lowerBound
        let entry = data[directory..<end]
        var archive = data[..<directory]
        for i in 0..<entries {
            var copy = Data(entry)
            copy[46] = UInt8(ascii: "a") + UInt8(i % 26)  // "z.npy" becomes "a.npy", "b.npy", ...
            archive.append(copy)
        }
        var record = Data(data[end...])
        record.writeLittleEndian(entries, at: 8, width: 2)
        record.writeLittleEndian(entries, at: 10, width: 2)
        record.writeLittleEndian(entry.count * entries, at: 12, width: 4)
        archive.append(record)
        return Data(archive)
    }

    func testTotalSizeIsBoundedBeforeInflating() throws {
        let archive = try bomb(entries: 64)
        let memberSize = 8192 * 8 + 128  // elements plus the .npy header
        // 64 entries of one 64 KiB member: 4 MiB claimed from a few hundred bytes.
        assertThrows(.io, containing: ["npz data", "limit of 1048576 bytes", "maxTotalBytes"]) {
            try NDArray.loadNPZEntries(data: archive, maxTotalBytes: 1 << 20)
        }
        // Under a limit that allows the total, the shared member is refused.
        assertThrows(.io, containing: ["npz data", "damaged ZIP archive", "overlap", "share data"]) {
            try NDArray.loadNPZEntries(data: archive, maxTotalBytes: 64 * memberSize)
        }
        // The default limit is documented and reachable.
        XCTAssertEqual(NDArray.npzDefaultMaxTotalBytes, 1 << 32)
        assertThrows(.io, containing: ["overlap"]) { try NDArray.loadNPZ(data: archive) }
    }

    func testLimitCountsEveryMember() throws {
        let arrays = try (0..<3).map { (name: "m\($0)", array: try NDArray.zeros([1000], .float64)) }
        for compressed in [false, true] {
            let data = try NDArray.npzData(arrays, compressed: compressed)
            let total = 3 * (8000 + 128)
            XCTAssertEqual(try NDArray.loadNPZEntries(data: data, maxTotalBytes: total).count, 3, "exactly the limit reads")
            assertThrows(.io, containing: ["limit of \(total - 1) bytes", "maxTotalBytes"]) {
                try NDArray.loadNPZEntries(data: data, maxTotalBytes: total - 1)
            }
            let url = try temporaryDirectory(self).appendingPathComponent("three.npz")
            try data.write(to: url)
            assertThrows(.io, containing: ["three.npz", "maxTotalBytes"]) { try NDArray.loadNPZ(from: url, maxTotalBytes: 100) }
            XCTAssertEqual(try NDArray.loadNPZ(from: url).count, 3)
        }
    }

    func testOverlappingMembersAreRefused() throws {
        let arrays = [(name: "a", array: NDArray([1, 2, 3] as [Int64])), (name: "b", array: NDArray([4, 5] as [Int64]))]
        for compressed in [false, true] {
            let good = try NDArray.npzData(arrays, compressed: compressed)
            XCTAssertEqual(try NDArray.loadNPZEntries(data: good).map(\.name), ["a", "b"])
            let first = try XCTUnwrap(good.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
            let second = try XCTUnwrap(good.range(of: Data([0x50, 0x4B, 0x01, 0x02]), in: (first + 4)..<good.count)).lowerBound

            // Entry b points at a's local header: two names, one member.
            var shared = good
            shared.writeLittleEndian(0, at: second + 42, width: 4)
            assertThrows(.io, containing: ["overlap", "'a.npy'", "'b.npy'"]) { try NDArray.loadNPZ(data: shared) }

            // Entry a claims compressed bytes that run into b's local header.
            var runOn = good
            let compressedSize = runOn.readLittleEndian(at: first + 20, width: 4)
            runOn.writeLittleEndian(compressedSize + 40, at: first + 20, width: 4)
            assertThrows(.io, containing: ["overlap", "'a.npy'", "'b.npy'"]) { try NDArray.loadNPZ(data: runOn) }
        }
    }

    func testMemberRunningIntoTheDirectoryIsRefused() throws {
        let good = try NDArray.npzData([(name: "x", array: NDArray([1, 2, 3] as [Int64]))], compressed: true)
        let directory = try XCTUnwrap(good.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        var bad = good
        let compressedSize = bad.readLittleEndian(at: directory + 20, width: 4)
        bad.writeLittleEndian(compressedSize + 10, at: directory + 20, width: 4)
        assertThrows(.io, containing: ["member 'x.npy'", "overlaps the central directory"]) { try NDArray.loadNPZ(data: bad) }
    }

    func testGunzipIsBounded() throws {
        // gzip of 100 KB of zeros (level 9), built with zlib's own deflate via our writer:
        // a raw deflate stream wrapped in a gzip header and trailer.
        let payload = Data(count: 100_000)
        let deflated = try ZIPArchive.deflate(payload)
        var gz = Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3])
        gz.append(deflated)
        gz.writeAppend(UInt32(ZIPArchive.checksum(payload)))
        gz.writeAppend(UInt32(payload.count))
        XCTAssertEqual(try gunzip(gz), payload)
        XCTAssertEqual(try gunzip(gz, maxBytes: 100_000), payload)
        assertThrows(.io, containing: ["gunzip", "limit of 50000 bytes", "maxBytes"]) { try gunzip(gz, maxBytes: 50_000) }
    }
}

private extension Data {
    mutating func writeAppend(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
