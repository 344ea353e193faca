import Foundation

/// A small ZIP reader and writer with what `.npz` files need: stored and deflated members,
/// UTF-8 names and ZIP64 (which `np.savez` always uses in its local headers).
///
/// Every offset and size read from an archive is checked against the archive's length before
/// use, so a damaged or hostile archive gives a thrown `.io` error, never a trap. The central
/// directory is authoritative (as in Python's `zipfile`); local headers only locate the data.
enum ZIPArchive {
    /// One file in an archive.
    struct Member {
        var name: String
        var data: Data
    }

    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    /// The ZIP64 extra field's header id.
    static let zip64ExtraID = 0x0001

    static let stored: UInt16 = 0
    static let deflated: UInt16 = 8
    /// 1980-01-01 00:00, the earliest MS-DOS date: members carry a fixed time so the same
    /// arrays always give the same bytes.
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1
    static let dosTime: UInt16 = 0

    static func damaged(_ detail: String) -> TheanoError {
        TheanoError.io("damaged ZIP archive: \(detail)")
    }
}

// MARK: - Reading

extension ZIPArchive {
    /// The default bound on the bytes one archive may inflate to (all members together): 4 GiB.
    static let defaultMaxTotalBytes = 1 << 32

    /// Every file member of the archive, in central-directory order.
    ///
    /// Before anything is inflated, the sizes the directory records are added up and checked
    /// against `maxTotalBytes` (inflation then stops at the recorded size), and members whose
    /// bytes overlap each other or the central directory are refused: many entries pointing at
    /// one highly compressed member would otherwise pass the per-member ratio check each time.
    static func read(_ data: Data, maxTotalBytes: Int = defaultMaxTotalBytes) throws -> [Member] {
        try data.withUnsafeBytes { try read(ByteView(bytes: $0), maxTotalBytes: maxTotalBytes) }
    }

    /// One central-directory entry, with its local header located.
    private struct Entry {
        var name: String
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        /// The local header's offset.
        var start: Int
        /// The offset of the member's data, after the local header.
        var dataStart: Int
        var isDirectory: Bool
        /// One past the member's last byte.
        var end: Int { dataStart + compressedSize }
    }

    private static func read(_ view: ByteView, maxTotalBytes: Int) throws -> [Member] {
        let directory = try locateCentralDirectory(view)
        let entries = try readEntries(view, directory)

        var total = 0
        for entry in entries where !entry.isDirectory {
            let (sum, overflow) = total.addingReportingOverflow(entry.size)
            guard !overflow, sum <= maxTotalBytes else {
                throw TheanoError.io(
                    "the archive's members would inflate to more than the limit of \(maxTotalBytes) bytes (maxTotalBytes) in all (member '\(entry.name)' alone records \(entry.size) bytes); pass a larger maxTotalBytes to read an archive this large")
            }
            total = sum
        }
        try checkNoOverlap(entries, directory)

        return try entries.filter { !$0.isDirectory }.map { entry in
            Member(name: entry.name, data: try extract(view, entry))
        }
    }

    /// The entries of the central directory, in order, with their local headers checked.
    private static func readEntries(_ view: ByteView, _ directory: CentralDirectory) throws -> [Entry] {
        var entries: [Entry] = []
        var position = directory.start
        let end = directory.start + directory.size
        for index in 0..<directory.count {
            try view.require(position, 46, "central directory entry \(index)", within: end)
            guard view.u32(position) == centralHeaderSignature else {
                throw damaged("central directory entry \(index) has a bad signature")
            }
            let flags = view.u16(position + 8)
            let method = view.u16(position + 10)
            let crc = view.u32(position + 16)
            var compressedSize = UInt64(view.u32(position + 20))
            var size = UInt64(view.u32(position + 24))
            let nameLength = Int(view.u16(position + 28))
            let extraLength = Int(view.u16(position + 30))
            let commentLength = Int(view.u16(position + 32))
            var localOffset = UInt64(view.u32(position + 42))
            let nameStart = position + 46
            try view.require(nameStart, nameLength + extraLength + commentLength, "the name of central directory entry \(index)", within: end)
            let name = decodeName(UnsafeRawBufferPointer(rebasing: view.bytes[nameStart..<(nameStart + nameLength)]))
            position = nameStart + nameLength + extraLength + commentLength

            let marker = UInt64(UInt32.max)
            if size == marker || compressedSize == marker || localOffset == marker {
                var fields = try zip64Fields(view, start: nameStart + nameLength, length: extraLength, member: name)
                func next() throws -> UInt64 {
                    guard let value = fields.first else { throw damaged("member '\(name)' lacks its ZIP64 sizes") }
                    fields.removeFirst()
                    return value
                }
                if size == marker { size = try next() }
                if compressedSize == marker { compressedSize = try next() }
                if localOffset == marker { localOffset = try next() }
            }
            guard flags & 1 == 0 else { throw TheanoError.io("member '\(name)' is encrypted, which is not supported") }

            let local = try view.int(localOffset, "the local header offset of member '\(name)'")
            try view.require(local, 30, "the local header of member '\(name)'", within: view.bytes.count)
            guard view.u32(local) == localHeaderSignature else {
                throw damaged("the local header of member '\(name)' has a bad signature")
            }
            let dataStart = local + 30 + Int(view.u16(local + 26)) + Int(view.u16(local + 28))
            let compressedCount = try view.int(compressedSize, "the compressed size of member '\(name)'")
            try view.require(dataStart, compressedCount, "the data of member '\(name)'", within: view.bytes.count)
            entries.append(Entry(
                name: name, method: method, crc: crc, compressedSize: compressedCount,
                size: try view.int(size, "the size of member '\(name)'"), start: local, dataStart: dataStart,
                isDirectory: name.hasSuffix("/") && size == 0))
        }
        return entries
    }

    /// Throws when two members (local header and data) share bytes, or a member runs into the
    /// central directory.
    private static func checkNoOverlap(_ entries: [Entry], _ directory: CentralDirectory) throws {
        let sorted = entries.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.start < a.end {
            throw damaged(
                "members '\(a.name)' (bytes \(a.start)..<\(a.end)) and '\(b.name)' (bytes \(b.start)..<\(b.end)) overlap; an archive whose members share data is refused (a ZIP bomb, or corrupt)")
        }
        let directoryEnd = directory.start + directory.size
        for entry in entries where entry.start < directoryEnd && directory.start < entry.end {
            throw damaged(
                "member '\(entry.name)' (bytes \(entry.start)..<\(entry.end)) overlaps the central directory (bytes \(directory.start)..<\(directoryEnd))")
        }
    }
    private struct CentralDirectory {
        var start: Int
        var size: Int
        var count: Int
    }

    /// Finds the end-of-central-directory record (and its ZIP64 form when present).
    private static func locateCentralDirectory(_ view: ByteView) throws -> CentralDirectory {
        let n = view.bytes.count
        var record: Int?
        if n >= 22 {
            // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
            for p in stride(from: n - 22, through: Swift.max(0, n - 22 - 65_535), by: -1) where view.u32(p) == endSignature {
                record = p
                break
            }
        }
        guard let eocd = record else {
            throw TheanoError.io("not a valid .npz (ZIP) archive: no end-of-central-directory record (the data is truncated or not a ZIP file)")
        }
        var count = UInt64(view.u16(eocd + 10))
        var size = UInt64(view.u32(eocd + 12))
        var start = UInt64(view.u32(eocd + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || start == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard locator >= 0, view.u32(locator) == zip64LocatorSignature else {
                throw damaged("the ZIP64 end-of-central-directory locator is missing")
            }
            let zip64Record = try view.int(view.u64(locator + 8), "the ZIP64 end-of-central-directory offset")
            try view.require(zip64Record, 56, "the ZIP64 end-of-central-directory record", within: n)
            guard view.u32(zip64Record) == zip64EndSignature else {
                throw damaged("the ZIP64 end-of-central-directory record has a bad signature")
            }
            count = view.u64(zip64Record + 32)
            size = view.u64(zip64Record + 40)
            start = view.u64(zip64Record + 48)
        }
        let directory = CentralDirectory(
            start: try view.int(start, "the central directory offset"),
            size: try view.int(size, "the central directory size"),
            count: try view.int(count, "the member count"))
        try view.require(directory.start, directory.size, "the central directory", within: n)
        guard directory.count <= directory.size / 46 else {
            throw damaged("the directory lists \(directory.count) members but holds only \(directory.size) bytes")
        }
        return directory
    }

    /// The 64-bit values of a member's ZIP64 extra field, in order.
    private static func zip64Fields(_ view: ByteView, start: Int, length: Int, member: String) throws -> [UInt64] {
        var p = start
        let end = start + length
        while p + 4 <= end {
            let id = Int(view.u16(p))
            let size = Int(view.u16(p + 2))
            guard p + 4 + size <= end else { break }
            if id == zip64ExtraID {
                return stride(from: p + 4, through: p + 4 + size - 8, by: 8).map { view.u64($0) }
            }
            p += 4 + size
        }
        throw damaged("member '\(member)' lacks its ZIP64 sizes")
    }

    private static func extract(_ view: ByteView, _ entry: Entry) throws -> Data {
        let name = entry.name
        let raw = UnsafeRawBufferPointer(rebasing: view.bytes[entry.dataStart..<entry.end])
        let data: Data
        switch entry.method {
        case stored:
            guard entry.compressedSize == entry.size else {
                throw damaged("stored member '\(name)' has \(entry.compressedSize) bytes but records a size of \(entry.size)")
            }
            data = Data(raw)
        case deflated:
            data = try inflate(raw, size: entry.size, member: name)
        default:
            throw TheanoError.io("member '\(name)' uses compression method \(entry.method); only stored (0) and deflate (8) can be read")
        }
        guard checksum(data) == entry.crc else {
            throw TheanoError.io("member '\(name)' is corrupt: its CRC-32 checksum does not match its data")
        }
        return data
    }

    /// A member name: UTF-8 (what every modern writer uses), else Latin-1.
    private static func decodeName(_ bytes: UnsafeRawBufferPointer) -> String {
        if let utf8 = String(bytes: bytes, encoding: .utf8) { return utf8 }
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }
}

/// Bounds-checked little-endian reads from an archive's bytes. Reads are unchecked: callers
/// call ``require(_:_:_:within:)`` first.
private struct ByteView {
    let bytes: UnsafeRawBufferPointer

    func require(_ offset: Int, _ count: Int, _ what: String, within limit: Int) throws {
        guard offset >= 0, count >= 0, offset <= limit, count <= limit - offset, limit <= bytes.count else {
            throw ZIPArchive.damaged("\(what) lies outside the archive (\(count) bytes at offset \(offset), archive of \(bytes.count) bytes)")
        }
    }

    /// A size or offset from the archive as an `Int`, refusing values past `Int.max`.
    func int(_ value: UInt64, _ what: String) throws -> Int {
        guard value <= UInt64(Int.max) else { throw ZIPArchive.damaged("\(what) \(value) is too large") }
        return Int(value)
    }

    func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}

// MARK: - Writing

extension ZIPArchive {
    /// An archive of `members`, in order, stored or deflated. ZIP64 records are written when a
    /// size or offset needs them (or always, with `forceZIP64`, which tests use).
    static func write(_ members: [Member], compressed: Bool, forceZIP64: Bool = false) throws -> Data {
        var archive = Data()
        var directory = Data()
        let marker = UInt64(UInt32.max)
        for member in members {
            let name = Array(member.name.utf8)
            guard name.count <= Int(UInt16.max) else {
                throw TheanoError.invalidArgument("npz: the name '\(member.name.prefix(40))...' is too long for a ZIP archive")
            }
            let crc = checksum(member.data)
            let payload = compressed ? try deflate(member.data) : member.data
            let method = compressed ? deflated : stored
            let size = UInt64(member.data.count)
            let compressedSize = UInt64(payload.count)
            let offset = UInt64(archive.count)
            let zip64 = forceZIP64 || size >= marker || compressedSize >= marker || offset >= marker
            let version: UInt16 = zip64 ? 45 : 20
            let flags: UInt16 = 0x0800  // names are UTF-8

            archive.appendLittleEndian(localHeaderSignature)
            archive.appendLittleEndian(version)
            archive.appendLittleEndian(flags)
            archive.appendLittleEndian(method)
            archive.appendLittleEndian(dosTime)
            archive.appendLittleEndian(dosDate)
            archive.appendLittleEndian(crc)
            archive.appendLittleEndian(zip64 ? UInt32.max : UInt32(compressedSize))
            archive.appendLittleEndian(zip64 ? UInt32.max : UInt32(size))
            archive.appendLittleEndian(UInt16(name.count))
            archive.appendLittleEndian(UInt16(zip64 ? 20 : 0))
            archive.append(contentsOf: name)
            if zip64 {
                archive.appendLittleEndian(UInt16(zip64ExtraID))
                archive.appendLittleEndian(UInt16(16))
                archive.appendLittleEndian(size)
                archive.appendLittleEndian(compressedSize)
            }
            archive.append(payload)

            directory.appendLittleEndian(centralHeaderSignature)
            directory.appendLittleEndian(UInt16(3 << 8) | version)  // made by: Unix
            directory.appendLittleEndian(version)
            directory.appendLittleEndian(flags)
            directory.appendLittleEndian(method)
            directory.appendLittleEndian(dosTime)
            directory.appendLittleEndian(dosDate)
            directory.appendLittleEndian(crc)
            directory.appendLittleEndian(zip64 ? UInt32.max : UInt32(compressedSize))
            directory.appendLittleEndian(zip64 ? UInt32.max : UInt32(size))
            directory.appendLittleEndian(UInt16(name.count))
            directory.appendLittleEndian(UInt16(zip64 ? 28 : 0))
            directory.appendLittleEndian(UInt16(0))  // comment length
            directory.appendLittleEndian(UInt16(0))  // disk
            directory.appendLittleEndian(UInt16(0))  // internal attributes
            directory.appendLittleEndian(UInt32(0o100644) << 16)  // external: a regular file, rw-r--r--
            directory.appendLittleEndian(zip64 ? UInt32.max : UInt32(offset))
            directory.append(contentsOf: name)
            if zip64 {
                directory.appendLittleEndian(UInt16(zip64ExtraID))
                directory.appendLittleEndian(UInt16(24))
                directory.appendLittleEndian(size)
                directory.appendLittleEndian(compressedSize)
                directory.appendLittleEndian(offset)
            }
        }

        let directoryOffset = UInt64(archive.count)
        let directorySize = UInt64(directory.count)
        let count = UInt64(members.count)
        archive.append(directory)
        let zip64End = forceZIP64 || count >= 0xFFFF || directoryOffset >= marker || directorySize >= marker
        if zip64End {
            let recordOffset = UInt64(archive.count)
            archive.appendLittleEndian(zip64EndSignature)
            archive.appendLittleEndian(UInt64(44))  // size of the rest of the record
            archive.appendLittleEndian(UInt16(3 << 8) | 45)
            archive.appendLittleEndian(UInt16(45))
            archive.appendLittleEndian(UInt32(0))  // this disk
            archive.appendLittleEndian(UInt32(0))  // disk with the directory
            archive.appendLittleEndian(count)
            archive.appendLittleEndian(count)
            archive.appendLittleEndian(directorySize)
            archive.appendLittleEndian(directoryOffset)
            archive.appendLittleEndian(zip64LocatorSignature)
            archive.appendLittleEndian(UInt32(0))
            archive.appendLittleEndian(recordOffset)
            archive.appendLittleEndian(UInt32(1))  // total disks
        }
        archive.appendLittleEndian(endSignature)
        archive.appendLittleEndian(UInt16(0))
        archive.appendLittleEndian(UInt16(0))
        archive.appendLittleEndian(zip64End ? UInt16.max : UInt16(count))
        archive.appendLittleEndian(zip64End ? UInt16.max : UInt16(count))
        archive.appendLittleEndian(zip64End ? UInt32.max : UInt32(directorySize))
        archive.appendLittleEndian(zip64End ? UInt32.max : UInt32(directoryOffset))
        archive.appendLittleEndian(UInt16(0))  // comment length
        return archive
    }
}

extension Data {
    /// Appends an integer's bytes, least significant first.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
