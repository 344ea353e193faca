import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The processor that compiled kernels are built for, as it enters every cache key.
///
/// Kernels are compiled with `-march=native`, so a binary runs only on a CPU with the same
/// instruction-set extensions. Asking the compiler what `-march=native` resolves to would cost a
/// process spawn; the kernel reports the facts it depends on in `/proc/cpuinfo`, so the identity
/// is the first processor's vendor, family, model, model name, stepping and feature flags (on
/// ARM: implementer, architecture, variant, part, revision and features), plus the machine
/// architecture from `uname()`. Where there is no `/proc/cpuinfo`, only the architecture is
/// known and ``note`` says so. ``current`` is read once per process.
public struct CPUIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The machine architecture from `uname()`: `x86_64`, `aarch64`, ...
    public let machine: String
    /// The identifying `/proc/cpuinfo` fields of the first processor (feature lists sorted).
    public let fields: [String: String]
    /// Why the identity is less precise than usual; nil when `/proc/cpuinfo` was read.
    public let note: String?

    /// The `/proc/cpuinfo` fields that decide what `-march=native` means, in key order.
    static let identifyingFields = [
        "vendor_id", "cpu family", "model", "model name", "stepping", "flags",  // x86
        "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "CPU revision", "Features",  // ARM
        "cpu", "isa",  // POWER, RISC-V
    ]
    private static let featureLists: Set<String> = ["flags", "Features", "isa"]

    /// This machine's processor, read once per process.
    public static let current: CPUIdentity = {
        let machine = machineName()
        guard let text = firstProcessorBlock() else {
            return CPUIdentity(machine: machine, fields: [:],
                               note: "no /proc/cpuinfo: the cache key knows only the architecture (\(machine)), not the CPU model")
        }
        return CPUIdentity(machine: machine, cpuinfo: text)
    }()

    init(machine: String, fields: [String: String], note: String?) {
        self.machine = machine
        self.fields = fields
        self.note = note
    }

    /// Parses the first processor block of a `/proc/cpuinfo` text.
    init(machine: String, cpuinfo: String) {
        var fields: [String: String] = [:]
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) { if fields.isEmpty { continue } else { break } }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard CPUIdentity.identifyingFields.contains(name), fields[name] == nil else { continue }
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if CPUIdentity.featureLists.contains(name) {
                value = value.split(separator: " ").map(String.init).sorted().joined(separator: " ")
            }
            fields[name] = value
        }
        self.init(machine: machine, fields: fields,
                  note: fields.isEmpty ? "/proc/cpuinfo names no CPU model: the cache key knows only the architecture (\(machine))" : nil)
    }

    /// The text hashed into cache keys: the architecture and every identifying field.
    public var fingerprint: String {
        (["machine: \(machine)"] + CPUIdentity.identifyingFields.compactMap { name in fields[name].map { "\(name): \($0)" } })
            .joined(separator: "\n")
    }

    /// One line for people: model, family/model/stepping and how many features the key holds.
    public var summary: String {
        var parts = [machine]
        if let name = fields["model name"] ?? fields["cpu"] { parts.append(name) }
        if let vendor = fields["vendor_id"] { parts.append(vendor) }
        let numbers = [("family", "cpu family"), ("model", "model"), ("stepping", "stepping"),
                       ("implementer", "CPU implementer"), ("part", "CPU part"), ("revision", "CPU revision")]
            .compactMap { label, name in fields[name].map { "\(label) \($0)" } }
        if !numbers.isEmpty { parts.append(numbers.joined(separator: " ")) }
        if let features = fields["flags"] ?? fields["Features"] ?? fields["isa"] {
            parts.append("\(features.split(separator: " ").count) feature flags")
        }
        return parts.joined(separator: ", ") + (note.map { " (\($0))" } ?? "")
    }

    public var description: String { summary }

    /// The architecture from `uname()`, without spawning `uname -m`.
    static func machineName() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &names.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The first processor's block of `/proc/cpuinfo`. Reads only until the first blank line:
    /// on machines with hundreds of cores the whole file is large and slow to generate.
    private static func firstProcessorBlock(path: String = "/proc/cpuinfo") -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let blankLine: [UInt8] = [10, 10]
        while bytes.count < 1 << 16 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[..<n]
            if bytes.firstRange(of: blankLine) != nil { break }
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
