import Foundation
@testable import TheanoArray

/// Structure-aware mutations of `.npy` and `.npz` bytes, for the fuzz campaign of
/// `FuzzTests`.
///
/// Each input starts from a corpus file and goes through one to four mutations. A mutation
/// that understands the format (header fields of a `.npy`: shape, dtype, order, header length,
/// version; fields of a ZIP: sizes, offsets, counts, compression method, CRC, ZIP64 extras;
/// duplicated or overlapping entries; members replaced by mutated `.npy` files) is chosen when
/// the bytes still look like that format, else a byte mutation (flips, interesting values,
/// truncation, insertion, deletion, duplication, splicing). Deterministic: one seed, one
/// sequence of inputs.
struct FuzzMutator {
    private var rng: RandomGenerator
    private let corpus: [Data]
    /// The members of each corpus file that is a ZIP archive (read once: the mutator never
    /// reads a mutated archive itself, so it cannot be the one that fails).
    private let corpusMembers: [[ZIPArchive.Member]?]

    init(seed: UInt64, corpus: [Data]) {
        precondition(!corpus.isEmpty, "the fuzz corpus is empty")
        rng = RandomGenerator(seed: seed)
        self.corpus = corpus
        corpusMembers = corpus.map { ZIPLayout($0) == nil ? nil : try? ZIPArchive.read($0) }
    }

    /// The next input: a corpus file after one to four mutations.
    mutating func next() -> Data {
        let source = int(corpus.count)
        var data = corpus[source]
        var rounds = 1 + int(4)
        if let members = corpusMembers[source], !members.isEmpty, chance(0.3) {
            data = mutatingMember(members)
            rounds -= 1
        }
        for _ in 0..<rounds { data = mutate(data) }
        return data
    }

    /// An archive of `members` with one replaced by a mutated `.npy` (and maybe one repeated),
    /// written again, stored or deflated, with or without ZIP64 records.
    private mutating func mutatingMember(_ members: [ZIPArchive.Member]) -> Data {
        var changed = members
        let i = int(changed.count)
        changed[i].data = mutate(changed[i].data)
        if chance(0.2) {
            let repeated = pick(changed)
            changed.append(repeated)
        }
        let compressed = chance(0.5), zip64 = chance(0.3)
        return (try? ZIPArchive.write(changed, compressed: compressed, forceZIP64: zip64)) ?? corpus[0]
    }

    mutating func mutate(_ data: Data) -> Data {
        if let npy = NPYLayout(data), chance(0.75) { return mutateNPY(data, npy) }
        if let zip = ZIPLayout(data), chance(0.75) { return mutateZIP(data, zip) }
        return mutateBytes(data)
    }

    // MARK: - Random choices

    private mutating func int(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.next() % UInt64(n)) }
    private mutating func chance(_ p: Double) -> Bool { rng.nextUnit() < p }
    private mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }

    /// Sizes that break arithmetic: zero, powers of two around 32 and 64 bits, the shape limit
    /// (2^60), `Int.max`, negatives.
    static let interestingSizes: [Int] = [
        0, 0, 1, 1, 2, 3, 4, 7, 8, 16, 255, 256, 1023, 65535, 65536,
        (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 32, (1 << 32) + 1, 1 << 40, 1 << 48,
        (1 << 53) + 1, (1 << 59), (1 << 60) - 1, 1 << 60, (1 << 60) + 1, 1 << 61, 1 << 62,
        Int.max / 8 + 1, Int.max - 1, Int.max, -1, -2, -(1 << 31), -(1 << 62), Int.min,
    ]

    private mutating func size() -> Int {
        chance(0.6) ? pick(FuzzMutator.interestingSizes) : int(12)
    }

    // MARK: - .npy

    private static let descrs = [
        "|b1", "|u1", "|i1", "<i2", "<i4", "<i8", "<f4", "<f8", "?", "b", "B", "h", "i", "l", "q",
        "p", "f", "d", "float32", "float64", "int", "bool", "=i4", "<u1", ">u1", "|i8",
        "<U4", "|S3", ">f8", ">i2", "O", "|V8", "<c16", "<f2", "<f16", "<M8[s]", "", "<i16",
        "float128", "<", "|", "\u{0}", "é",
    ]

    private mutating func descrText() -> String {
        switch int(10) {
        case 0: return "[('a', '<f4'), ('b', '<i8')]"
        case 1: return pick(["None", "4", "b'<f4'", "'<f4' '<f8'"])
        default: return "'" + pick(FuzzMutator.descrs) + "'"
        }
    }

    private mutating func orderText() -> String {
        pick(["True", "False", "False", "True", "1", "0", "None", "'True'", "true", "()"])
    }

    private mutating func shapeText() -> String {
        let rank = int(7)
        var items: [String] = (0..<rank).map { _ in String(size()) }
        if !items.isEmpty, chance(0.15) {
            items[int(items.count)] = pick([
                "100000000000000000000", "-100000000000000000000", "-0", "+3", "3L", "1.5", "None",
                "'2'", "True", "()", "(1,)", "[2]", "0x10", "1e3", "",
            ])
        }
        switch int(8) {
        case 0: return "[" + items.joined(separator: ", ") + "]"
        case 1: return items.joined(separator: ", ")
        case 2: return "((" + items.joined(separator: ", ") + "),)"
        case 3: return "(" + items.joined(separator: ",") + ",,)"
        default:
            return items.count == 1 ? "(\(items[0]),)" : "(" + items.joined(separator: ", ") + ")"
        }
    }

    private mutating func mutateNPY(_ data: Data, _ npy: NPYLayout) -> Data {
        var fields = npy.fields()
        switch int(10) {
        case 0, 1, 2:
            fields["shape"] = shapeText()
            return npy.rebuilt(data, dict: NPYLayout.dictText(fields))
        case 3:
            fields["descr"] = descrText()
            return npy.rebuilt(data, dict: NPYLayout.dictText(fields))
        case 4:
            fields["fortran_order"] = orderText()
            return npy.rebuilt(data, dict: NPYLayout.dictText(fields))
        case 5:
            // Keys missing, repeated, added; all fields new.
            var entries = [("descr", descrText()), ("fortran_order", orderText()), ("shape", shapeText())]
            if chance(0.3) { entries.remove(at: int(entries.count)) }
            if chance(0.3) { entries.append(pick([("shape", shapeText()), ("descr", descrText()), ("extra", "1")])) }
            if chance(0.3) { entries.shuffle(using: &rng) }
            let text = "{" + entries.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + (chance(0.5) ? ", }" : "}")
            return npy.rebuilt(data, dict: text)
        case 6:
            // The header length field alone.
            var out = data
            let width = npy.major == 1 ? 2 : 4
            let value: Int = pick([0, 1, npy.headerLength - 1, npy.headerLength + 1, npy.headerLength + 64,
                                   65535, Int(UInt32.max), Int(UInt32.max) - 1, 1 << 31, data.count, data.count - 9])
            out.writeLittleEndian(value, at: 8, width: width)
            return out
        case 7:
            // Version bytes, with the header re-encoded for the new length field when sensible.
            let major = pick([0, 1, 2, 3, 4, 255] as [UInt8])
            let minor = pick([0, 0, 0, 1, 255] as [UInt8])
            if chance(0.5) { return npy.rebuilt(data, dict: NPYLayout.dictText(fields), major: major, minor: minor) }
            var out = data
            out[out.startIndex + 6] = major
            out[out.startIndex + 7] = minor
            return out
        case 8:
            // The elements: cut, extended, or a few bytes changed.
            var out = data
            switch int(3) {
            case 0: out = out.prefix(npy.dataStart + int(Swift.max(data.count - npy.dataStart, 1)))
            case 1: out.append(Data((0..<(1 + int(64))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
            default:
                if data.count > npy.dataStart {
                    out[out.startIndex + npy.dataStart + int(data.count - npy.dataStart)] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            return out
        default:
            // Broken dict text: an inserted character, deep nesting, or junk.
            var text = NPYLayout.dictText(fields)
            let junk = pick(["(", ")", "[", "]", "{", "}", "'", "\"", "\\", ",", ":", "\0", "\n", "é", "\u{1F600}", "((((((((((((((((((((((((((((((((((((", "True", "-"])
            let scalars = Array(text.unicodeScalars)
            let at = int(scalars.count + 1)
            text = String(String.UnicodeScalarView(scalars[..<at])) + junk + String(String.UnicodeScalarView(scalars[at...]))
            return npy.rebuilt(data, dict: text, pad: chance(0.8))
        }
    }

    // MARK: - ZIP

    private mutating func mutateZIP(_ data: Data, _ zip: ZIPLayout) -> Data {
        switch int(10) {
        case 0, 1, 2, 3:
            // One numeric field of a header.
            guard !zip.fields.isEmpty else { return mutateBytes(data) }
            let field = pick(zip.fields)
            var out = data
            let current = data.readLittleEndian(at: field.offset, width: field.width)
            let maxValue = field.width == 8 ? Int.max : (1 << (8 * field.width)) - 1
            var candidates = [0, 1, maxValue, maxValue - 1, current &+ 1, current &- 1, current &* 2, current / 2,
                              data.count, data.count - 1, Int(truncatingIfNeeded: rng.next())]
            candidates += zip.localOffsets  // another member's header: overlapping entries
            if field.width == 8 { candidates += [1 << 32, 1 << 40, 1 << 62, -1] }
            out.writeLittleEndian(pick(candidates), at: field.offset, width: field.width)
            return out
        case 4:
            return zip.duplicatingEntries(data, copies: 1 + int(64))
        case 5:
            // A member's local header pointed at another member's: two entries, one member.
            guard zip.entries.count >= 1, let target = zip.localOffsets.first else { return mutateBytes(data) }
            var out = data
            out.writeLittleEndian(target, at: pick(zip.entries).lowerBound + 42, width: 4)
            return out
        case 6, 7:
            // Several fields at once.
            var out = data
            for _ in 0..<(2 + int(3)) { out = ZIPLayout(out).map { mutateZIP(out, $0) } ?? mutateBytes(out) }
            return out
        case 8:
            // The central directory moved or cut.
            var out = data
            if let eocd = zip.eocd {
                out.writeLittleEndian(pick([0, 1, zip.directoryStart &+ 1, zip.directoryStart &- 1, data.count]), at: eocd + 16, width: 4)
            }
            return out
        default:
            return mutateBytes(data)
        }
    }

    // MARK: - Bytes

    private mutating func mutateBytes(_ data: Data) -> Data {
        var out = data
        let n = out.count
        switch int(9) {
        case 0 where n > 0:
            out[out.startIndex + int(n)] ^= UInt8(1) << UInt8(int(8))
        case 1 where n > 0:
            out[out.startIndex + int(n)] = pick([0, 0xFF, 0x7F, 0x80, 0x01, UInt8(truncatingIfNeeded: rng.next())])
        case 2 where n >= 8:
            let width = pick([2, 4, 8])
            out.writeLittleEndian(pick(FuzzMutator.interestingSizes), at: int(n - width + 1), width: width)
        case 3:
            out = out.prefix(int(n + 1))
        case 4:
            let at = int(n + 1)
            let bytes = Data((0..<(1 + int(32))).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            out.insert(contentsOf: bytes, at: out.startIndex + at)
        case 5 where n > 0:
            let at = int(n)
            out.removeSubrange((out.startIndex + at)..<(out.startIndex + Swift.min(n, at + 1 + int(64))))
        case 6 where n > 0:
            let at = int(n)
            let piece = out[(out.startIndex + at)..<(out.startIndex + Swift.min(n, at + 1 + int(256)))]
            out.insert(contentsOf: piece, at: out.startIndex + int(n + 1))
        case 7:
            let other = pick(corpus)
            out = Data(out.prefix(int(n + 1))) + Data(other.suffix(int(other.count + 1)))
        default:
            if n > 0 { out[out.startIndex + int(n)] = UInt8(truncatingIfNeeded: rng.next()) }
        }
        return out
    }
}

// MARK: - Layouts

/// Where the parts of a `.npy` file are, read leniently (only the magic and the header length
/// must be present).
struct NPYLayout {
    let major: UInt8
    let headerLength: Int
    let headerStart: Int
    let dataStart: Int
    let dictText: String

    init?(_ data: Data) {
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, bytes.prefix(6) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] else { return nil }
        major = bytes[6]
        let width = major == 1 ? 2 : 4
        guard bytes.count >= 8 + width else { return nil }
        headerLength = data.readLittleEndian(at: 8, width: width)
        headerStart = 8 + width
        guard headerLength >= 0, headerLength <= data.count - headerStart else { return nil }
        dataStart = headerStart + headerLength
        let header = data[(data.startIndex + headerStart)..<(data.startIndex + dataStart)]
        dictText = String(decoding: header, as: UTF8.self)
    }

    /// The header's fields as literal text (defaults where the header does not parse).
    func fields() -> [String: String] {
        var out = ["descr": "'<f4'", "fortran_order": "False", "shape": "(2, 3)"]
        if let header = try? NPYHeader(dictText: dictText) {
            out["descr"] = "'" + NPYHeader.descr(for: header.dtype) + "'"
            out["fortran_order"] = header.fortranOrder ? "True" : "False"
            out["shape"] = header.shape.count == 1 ? "(\(header.shape[0]),)" : "(" + header.shape.map(String.init).joined(separator: ", ") + ")"
        }
        return out
    }

    static func dictText(_ fields: [String: String]) -> String {
        "{'descr': \(fields["descr"] ?? "''"), 'fortran_order': \(fields["fortran_order"] ?? "False"), 'shape': \(fields["shape"] ?? "()"), }"
    }

    /// The file with a new header (padded as NumPy pads it when `pad`) and the old elements.
    func rebuilt(_ data: Data, dict: String, major: UInt8? = nil, minor: UInt8 = 0, pad: Bool = true) -> Data {
        let major = major ?? self.major
        let width = major == 1 ? 2 : 4
        var header = Array(dict.utf8)
        if pad {
            let used = 8 + width + header.count + 1
            header += Array(repeating: UInt8(ascii: " "), count: (64 - used % 64) % 64) + [UInt8(ascii: "\n")]
        }
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, minor])
        out.append(Data(count: width))
        out.writeLittleEndian(header.count, at: 8, width: width)
        out.append(contentsOf: header)
        out.append(data.suffix(from: data.startIndex + dataStart))
        return out
    }
}

/// Where the records of a ZIP archive are, read leniently: the end record, the ZIP64 records,
/// the central-directory entries and the local headers they point at, each as numeric fields.
struct ZIPLayout {
    struct Field {
        let offset: Int
        let width: Int
    }

    var eocd: Int?
    var directoryStart = 0
    var directorySize = 0
    var entries: [Range<Int>] = []
    var localOffsets: [Int] = []
    var fields: [Field] = []
    var zip64Record: Int?

    init?(_ data: Data) {
        let n = data.count
        guard n >= 22 else { return nil }
        var found: Int?
        for p in stride(from: n - 22, through: Swift.max(0, n - 22 - 65_535), by: -1) where data.readLittleEndian(at: p, width: 4) == 0x0605_4B50 {
            found = p
            break
        }
        guard let eocd = found else { return nil }
        self.eocd = eocd
        fields += [(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)].map { Field(offset: eocd + $0.0, width: $0.1) }
        var count = data.readLittleEndian(at: eocd + 10, width: 2)
        directorySize = data.readLittleEndian(at: eocd + 12, width: 4)
        directoryStart = data.readLittleEndian(at: eocd + 16, width: 4)
        if eocd >= 20, data.readLittleEndian(at: eocd - 20, width: 4) == 0x0706_4B50 {
            fields.append(Field(offset: eocd - 12, width: 8))
            let record = data.readLittleEndian(at: eocd - 12, width: 8)
            if record >= 0, record <= n - 56, data.readLittleEndian(at: record, width: 4) == 0x0606_4B50 {
                zip64Record = record
                fields += [24, 32, 40, 48].map { Field(offset: record + $0, width: 8) }
                count = data.readLittleEndian(at: record + 32, width: 8)
                directorySize = data.readLittleEndian(at: record + 40, width: 8)
                directoryStart = data.readLittleEndian(at: record + 48, width: 8)
            }
        }
        var p = directoryStart
        for _ in 0..<Swift.min(Swift.max(count, 0), 1000) {
            guard p >= 0, p <= n - 46, data.readLittleEndian(at: p, width: 4) == 0x0201_4B50 else { break }
            let nameLength = data.readLittleEndian(at: p + 28, width: 2)
            let extraLength = data.readLittleEndian(at: p + 30, width: 2)
            let commentLength = data.readLittleEndian(at: p + 32, width: 2)
            let end = p + 46 + nameLength + extraLength + commentLength
            guard end <= n else { break }
            fields += [(8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (32, 2), (42, 4)].map { Field(offset: p + $0.0, width: $0.1) }
            fields += ZIPLayout.extraFields(data, start: p + 46 + nameLength, length: extraLength)
            entries.append(p..<end)
            var local = data.readLittleEndian(at: p + 42, width: 4)
            if local == 0xFFFF_FFFF, let last = ZIPLayout.extraFields(data, start: p + 46 + nameLength, length: extraLength).last {
                local = data.readLittleEndian(at: last.offset, width: 8)
            }
            if local >= 0, local <= n - 30, data.readLittleEndian(at: local, width: 4) == 0x0403_4B50 {
                localOffsets.append(local)
                fields += [(6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)].map { Field(offset: local + $0.0, width: $0.1) }
                let localName = data.readLittleEndian(at: local + 26, width: 2)
                let localExtra = data.readLittleEndian(at: local + 28, width: 2)
                fields += ZIPLayout.extraFields(data, start: local + 30 + localName, length: localExtra)
            }
            p = end
        }
    }

    /// The 8-byte values of ZIP64 extra fields between `start` and `start + length`.
    static func extraFields(_ data: Data, start: Int, length: Int) -> [Field] {
        var out: [Field] = []
        var p = start
        while p + 4 <= start + length, p + 4 <= data.count {
            let id = data.readLittleEndian(at: p, width: 2)
            let size = data.readLittleEndian(at: p + 2, width: 2)
            if id == 1 {
                var q = p + 4
                while q + 8 <= p + 4 + size, q + 8 <= data.count {
                    out.append(Field(offset: q, width: 8))
                    q += 8
                }
            }
            p += 4 + size
        }
        return out
    }

    /// The archive with central-directory entries repeated `copies` times (each copy pointing
    /// at the same member), and the end records counting them: the shape of a ZIP bomb.
    func duplicatingEntries(_ data: Data, copies: Int) -> Data {
        guard let eocd, let entry = entries.first, entry.upperBound <= data.count, directoryStart >= 0, directorySize >= 0,
              directorySize <= data.count - directoryStart else { return data }
        let piece = data[(data.startIndex + entry.lowerBound)..<(data.startIndex + entry.upperBound)]
        var out = data
        let insertAt = directoryStart + directorySize
        var extra = Data()
        for _ in 0..<copies { extra.append(piece) }
        out.insert(contentsOf: extra, at: out.startIndex + insertAt)
        let shift = extra.count
        let newEOCD = eocd >= insertAt ? eocd + shift : eocd
        let count = entries.count + copies
        out.writeLittleEndian(Swift.min(count, 0xFFFF), at: newEOCD + 8, width: 2)
        out.writeLittleEndian(Swift.min(count, 0xFFFF), at: newEOCD + 10, width: 2)
        out.writeLittleEndian(directorySize + shift, at: newEOCD + 12, width: 4)
        if let record = zip64Record {
            let r = record >= insertAt ? record + shift : record
            out.writeLittleEndian(count, at: r + 24, width: 8)
            out.writeLittleEndian(count, at: r + 32, width: 8)
            out.writeLittleEndian(directorySize + shift, at: r + 40, width: 8)
            if newEOCD >= 20 { out.writeLittleEndian(r, at: newEOCD - 12, width: 8) }
        }
        return out
    }
}
