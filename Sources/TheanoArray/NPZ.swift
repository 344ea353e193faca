import Foundation
import ZIPFoundation

/// Reading and writing NumPy's `.npz` archives: ZIP files with one `.npy` member per array,
/// as written by `np.savez` (stored) and `np.savez_compressed` (deflate).
extension NDArray {
    /// Reads every array of an `.npz` archive, keyed by name (the member name without `.npy`,
    /// as `np.load(...)[name]`). Members that are not `.npy` files are skipped.
    ///
    /// Throws a ``TheanoError`` of kind `.io` naming the file and what is wrong when it cannot be
    /// read or is not a valid archive of `.npy` files.
    public static func loadNPZ(from url: URL) throws -> [String: NDArray] {
        dictionary(try loadNPZEntries(from: url))
    }

    /// Reads every array of an `.npz` archive in archive order (see ``loadNPZ(from:)``).
    public static func loadNPZEntries(from url: URL) throws -> [(name: String, array: NDArray)] {
        let data = try readFileContents(url, kind: "npz")
        return try withIOContext("npz file '\(url.path)'") { try NPZFormat.decode(data) }
    }

    /// Reads every array from the bytes of an `.npz` archive, keyed by name.
    public static func loadNPZ(data: Data) throws -> [String: NDArray] {
        dictionary(try loadNPZEntries(data: data))
    }

    /// Reads every array from the bytes of an `.npz` archive, in archive order.
    public static func loadNPZEntries(data: Data) throws -> [(name: String, array: NDArray)] {
        try withIOContext("npz data") { try NPZFormat.decode(data) }
    }

    /// The bytes of an `.npz` archive holding `arrays`, in order, each as member `name.npy` in C
    /// order. With `compressed`, members are deflated (`np.savez_compressed`), else stored
    /// (`np.savez`). Names must be unique and non-empty.
    public static func npzData(_ arrays: [(name: String, array: NDArray)], compressed: Bool = false) throws -> Data {
        try NPZFormat.encode(arrays, compressed: compressed)
    }

    /// The bytes of an `.npz` archive holding `arrays`, in order of name.
    public static func npzData(_ arrays: [String: NDArray], compressed: Bool = false) throws -> Data {
        try NPZFormat.encode(sortedByName(arrays), compressed: compressed)
    }

    /// Writes `arrays`, in order, to an `.npz` file (see ``npzData(_:compressed:)-(([(String,NDArray)],Bool)``),
    /// replacing any file at `url`.
    public static func saveNPZ(_ arrays: [(name: String, array: NDArray)], to url: URL, compressed: Bool = false) throws {
        let data = try withIOContext("npz file '\(url.path)'") { try NPZFormat.encode(arrays, compressed: compressed) }
        try writeFileContents(data, to: url, kind: "npz")
    }

    /// Writes `arrays`, in order of name, to an `.npz` file, replacing any file at `url`.
    public static func saveNPZ(_ arrays: [String: NDArray], to url: URL, compressed: Bool = false) throws {
        try saveNPZ(sortedByName(arrays), to: url, compressed: compressed)
    }

    private static func dictionary(_ entries: [(name: String, array: NDArray)]) -> [String: NDArray] {
        Dictionary(entries.map { ($0.name, $0.array) }, uniquingKeysWith: { _, last in last })
    }

    private static func sortedByName(_ arrays: [String: NDArray]) -> [(name: String, array: NDArray)] {
        arrays.sorted { $0.key < $1.key }.map { (name: $0.key, array: $0.value) }
    }
}

/// Encoding and decoding of `.npz` archives through ZIPFoundation, in memory.
enum NPZFormat {
    /// A fixed modification time for members (1980-01-01, the earliest ZIP date), so the same
    /// arrays always give the same bytes.
    private static let memberDate = Date(timeIntervalSince1970: 315_532_800)

    static func decode(_ data: Data) throws -> [(name: String, array: NDArray)] {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw TheanoError.io("not a valid .npz (ZIP) archive: \(describe(error))")
        }
        var result: [(name: String, array: NDArray)] = []
        var seen = 0
        for entry in archive {
            seen += 1
            guard entry.type == .file, entry.path.hasSuffix(".npy") else { continue }
            let name = String(entry.path.dropLast(4))
            var member = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { member.append($0) }
            } catch {
                throw TheanoError.io("member '\(entry.path)' cannot be extracted: \(describe(error))")
            }
            let array = try withIOContext("member '\(entry.path)'") { try NPYFormat.decode(member) }
            result.append((name, array))
        }
        // ZIPFoundation stops listing at the first unreadable directory record; notice that.
        if let expected = centralDirectoryEntryCount(data), expected != seen {
            throw TheanoError.io("the archive is damaged: its directory lists \(expected) members but only \(seen) can be read")
        }
        return result
    }

    static func encode(_ arrays: [(name: String, array: NDArray)], compressed: Bool) throws -> Data {
        var names = Set<String>()
        for (name, _) in arrays {
            guard !name.isEmpty else { throw TheanoError.invalidArgument("npz: an array name cannot be empty") }
            guard names.insert(name).inserted else {
                throw TheanoError.invalidArgument("npz: the name '\(name)' is used for more than one array")
            }
        }
        do {
            let archive = try Archive(accessMode: .create)
            for (name, array) in arrays {
                let member = array.npyData()
                try archive.addEntry(
                    with: name + ".npy", type: .file, uncompressedSize: Int64(member.count),
                    modificationDate: memberDate, compressionMethod: compressed ? .deflate : .none
                ) { position, size in
                    let start = Int(position)
                    return member.subdata(in: start..<Swift.min(start + size, member.count))
                }
            }
            guard let data = archive.data else { throw TheanoError.io("npz: the archive produced no data") }
            return data
        } catch let error as TheanoError {
            throw error
        } catch {
            throw TheanoError.io("npz: cannot build the archive: \(describe(error))")
        }
    }

    /// The member count recorded in the end-of-central-directory record, when it can be found
    /// (nil for ZIP64 archives, which record it elsewhere).
    private static func centralDirectoryEntryCount(_ data: Data) -> Int? {
        let bytes = [UInt8](data.suffix(65_557))  // the record (22 bytes) plus a comment of at most 65535
        guard bytes.count >= 22 else { return nil }
        for start in stride(from: bytes.count - 22, through: 0, by: -1)
        where bytes[start] == 0x50 && bytes[start + 1] == 0x4B && bytes[start + 2] == 0x05 && bytes[start + 3] == 0x06 {
            let count = Int(bytes[start + 10]) | Int(bytes[start + 11]) << 8
            return count == 0xFFFF ? nil : count
        }
        return nil
    }

    private static func describe(_ error: Error) -> String {
        if let archiveError = error as? Archive.ArchiveError {
            switch archiveError {
            case .unreadableArchive: return "the archive is damaged or unreadable"
            case .missingEndOfCentralDirectoryRecord: return "no end-of-central-directory record (truncated or not a ZIP file)"
            case .invalidCRC32: return "checksum mismatch (the member data is corrupt)"
            case .invalidCompressionMethod: return "unsupported compression method (only stored and deflate)"
            default: return "\(archiveError)"
            }
        }
        return "\(error)"
    }
}
