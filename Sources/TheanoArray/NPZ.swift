import Foundation

/// Reading and writing NumPy's `.npz` archives: ZIP files with one `.npy` member per array,
/// as written by `np.savez` (stored) and `np.savez_compressed` (deflate).
extension NDArray {
    /// The default of `maxTotalBytes` when reading `.npz` archives: 4 GiB. An archive whose
    /// members together inflate to more is refused before anything is inflated; pass a larger
    /// `maxTotalBytes` to read it.
    public static let npzDefaultMaxTotalBytes = ZIPArchive.defaultMaxTotalBytes

    /// Reads every array of an `.npz` archive, keyed by name (the member name without `.npy`,
    /// as `np.load(...)[name]`). Members that are not `.npy` files are skipped.
    ///
    /// Throws a ``TheanoError`` of kind `.io` naming the file and what is wrong when it cannot be
    /// read or is not a valid archive of `.npy` files, when its members together would inflate
    /// to more than `maxTotalBytes` (default ``npzDefaultMaxTotalBytes``), or when members
    /// overlap (share bytes of the archive, as in a ZIP bomb).
    public static func loadNPZ(from url: URL, maxTotalBytes: Int = npzDefaultMaxTotalBytes) throws -> [String: NDArray] {
        dictionary(try loadNPZEntries(from: url, maxTotalBytes: maxTotalBytes))
    }

    /// Reads every array of an `.npz` archive in archive order (see ``loadNPZ(from:maxTotalBytes:)``).
    public static func loadNPZEntries(from url: URL, maxTotalBytes: Int = npzDefaultMaxTotalBytes) throws -> [(name: String, array: NDArray)] {
        let data = try readFileContents(url, kind: "npz")
        return try withIOContext("npz file '\(url.path)'") { try NPZFormat.decode(data, maxTotalBytes: maxTotalBytes) }
    }

    /// Reads every array from the bytes of an `.npz` archive, keyed by name (see
    /// ``loadNPZ(from:maxTotalBytes:)``).
    public static func loadNPZ(data: Data, maxTotalBytes: Int = npzDefaultMaxTotalBytes) throws -> [String: NDArray] {
        dictionary(try loadNPZEntries(data: data, maxTotalBytes: maxTotalBytes))
    }

    /// Reads every array from the bytes of an `.npz` archive, in archive order.
    public static func loadNPZEntries(data: Data, maxTotalBytes: Int = npzDefaultMaxTotalBytes) throws -> [(name: String, array: NDArray)] {
        try withIOContext("npz data") { try NPZFormat.decode(data, maxTotalBytes: maxTotalBytes) }
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

    /// Writes `arrays`, in order, to an `.npz` file (the bytes of `npzData(arrays, compressed:)`),
    /// replacing any file at `url`. Throws an `.io` error naming the file when it cannot be
    /// written.
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

/// Encoding and decoding of `.npz` archives (see ``ZIPArchive``).
enum NPZFormat {
    static func decode(_ data: Data, maxTotalBytes: Int = ZIPArchive.defaultMaxTotalBytes) throws -> [(name: String, array: NDArray)] {
        try ZIPArchive.read(data, maxTotalBytes: maxTotalBytes).compactMap { member in
            guard member.name.hasSuffix(".npy") else { return nil }
            let array = try withIOContext("member '\(member.name)'") { try NPYFormat.decode(member.data) }
            return (name: String(member.name.dropLast(4)), array: array)
        }
    }

    static func encode(_ arrays: [(name: String, array: NDArray)], compressed: Bool, forceZIP64: Bool = false) throws -> Data {
        var names = Set<String>()
        for (name, _) in arrays {
            guard !name.isEmpty else { throw TheanoError.invalidArgument("npz: an array name cannot be empty") }
            guard names.insert(name).inserted else {
                throw TheanoError.invalidArgument("npz: the name '\(name)' is used for more than one array")
            }
        }
        let members = arrays.map { ZIPArchive.Member(name: $0.name + ".npy", data: $0.array.npyData()) }
        return try ZIPArchive.write(members, compressed: compressed, forceZIP64: forceZIP64)
    }
}
