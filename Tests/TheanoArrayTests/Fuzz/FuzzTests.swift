import Foundation
import XCTest
@testable import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// A seeded fuzz campaign against the `.npy` and `.npz` readers: every input made by
/// ``FuzzMutator`` from the corpus in `Fixtures/fuzz-corpus` must either read (and the arrays
/// read must then print, copy and write back) or throw a ``TheanoError``. A trap ends the test
/// process, which fails the run.
///
/// Environment:
/// - `THEANO_FUZZ_ITERATIONS`: inputs to try (default ``ciIterations``, about 30 s in
///   a debug build);
/// - `THEANO_FUZZ_SEED`: the first seed (default 1); inputs are numbered from it;
/// - `THEANO_FUZZ_FORK=1`: run each input in a child process and count crashes instead of
///   stopping at the first (Linux), with the crashing inputs written to
///   `THEANO_FUZZ_CRASH_DIR` when set;
/// - `THEANO_FUZZ_REPLAY=<file or dir>`: `testReplay` runs those inputs (to reproduce a crash);
/// - `THEANO_FUZZ_WRITE_CORPUS=<dir>`: `testWriteCorpus` writes the corpus there.
final class FuzzTests: XCTestCase {
    /// Inputs tried by a plain test run.
    static let ciIterations = 120_000
    /// What one archive may inflate to in the campaign (the readers' default is 4 GiB).
    static let maxTotalBytes = 64 << 20

    func testFuzzCampaign() throws {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["THEANO_FUZZ_ITERATIONS"].flatMap(Int.init) ?? FuzzTests.ciIterations
        let seed = environment["THEANO_FUZZ_SEED"].flatMap(UInt64.init) ?? 1
        let isolated = environment["THEANO_FUZZ_FORK"] == "1"
        let crashDirectory = environment["THEANO_FUZZ_CRASH_DIR"].map { URL(fileURLWithPath: $0) }
        let corpus = try FuzzTests.loadCorpus()
        var mutator = FuzzMutator(seed: seed, corpus: corpus)

        var tally = FuzzTally()
        let start = Date()
        for i in 0..<iterations {
            if i > 0, i % 500_000 == 0 {
                print("fuzz: \(i) inputs (seed \(seed)) after \(Int(Date().timeIntervalSince(start))) s: \(tally)")
            }
            let input = mutator.next()
            if isolated {
                let outcome = FuzzTests.runInChild { FuzzTests.exercise(input) }
                tally.count(outcome)
                if outcome.isCrash, let crashDirectory {
                    try? FileManager.default.createDirectory(at: crashDirectory, withIntermediateDirectories: true)
                    try? input.write(to: crashDirectory.appendingPathComponent("crash-\(seed)-\(i).bin"))
                }
            } else {
                let outcome = FuzzTests.exercise(input)
                if case .unexpected(let message) = outcome {
                    XCTFail("input \(i) (seed \(seed)): \(message); bytes: \(input.base64EncodedString())")
                }
                tally.count(outcome)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print("fuzz: \(iterations) inputs (seed \(seed)) in \(String(format: "%.1f", seconds)) s: \(tally)")
        XCTAssertEqual(tally.crashes, 0, "crashing inputs")
        XCTAssertEqual(tally.unexpected, 0, "inputs that threw something other than a TheanoError")
        // The campaign must reach past the checks at the front: some inputs read.
        if iterations >= 1000 { XCTAssertGreaterThan(tally.read, iterations / 50, "too few inputs read: \(tally)") }
    }

    /// Runs the inputs in `THEANO_FUZZ_REPLAY` (a file, or a folder of files), as the campaign
    /// would: the way to reproduce a crash it found.
    func testReplay() throws {
        guard let path = ProcessInfo.processInfo.environment["THEANO_FUZZ_REPLAY"] else { return }
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let files = isFolder.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { url.appendingPathComponent($0) }
            : [url]
        for file in files {
            print("fuzz replay: \(file.lastPathComponent)")
            if case .unexpected(let message) = FuzzTests.exercise(try Data(contentsOf: file)) {
                XCTFail("\(file.lastPathComponent): \(message)")
            }
        }
    }

    /// Every corpus file reads.
    func testCorpusReads() throws {
        let corpus = try FuzzTests.loadCorpus()
        XCTAssertGreaterThanOrEqual(corpus.count, 10)
        XCTAssertLessThan(corpus.map(\.count).reduce(0, +), 200_000, "keep the corpus small")
        for data in corpus {
            guard case .read = FuzzTests.exercise(data) else { return XCTFail("a corpus file does not read") }
        }
    }

    /// Writes the corpus when `THEANO_FUZZ_WRITE_CORPUS` names a folder (run it after changing
    /// ``FuzzCorpus``, then commit the files).
    func testWriteCorpus() throws {
        guard let path = ProcessInfo.processInfo.environment["THEANO_FUZZ_WRITE_CORPUS"] else { return }
        let folder = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, data) in try FuzzCorpus.files() {
            try data.write(to: folder.appendingPathComponent(name))
        }
    }

    // MARK: - The target

    enum Outcome {
        case read
        case threw(TheanoError.Kind)
        case unexpected(String)
        case crashed(Int32)
        case hung

        var isCrash: Bool {
            switch self {
            case .crashed, .hung: return true
            default: return false
            }
        }
    }

    /// Reads `data` as a `.npy` file and as an `.npz` archive, and uses what reads.
    static func exercise(_ data: Data) -> Outcome {
        var outcomes: [Outcome] = []
        outcomes.append(attempt { try use(NDArray(npyData: data)) })
        outcomes.append(attempt {
            for (_, array) in try NDArray.loadNPZEntries(data: data, maxTotalBytes: maxTotalBytes) { try use(array) }
        })
        if let unexpected = outcomes.first(where: { if case .unexpected = $0 { return true }; return false }) {
            return unexpected
        }
        return outcomes.first(where: { if case .read = $0 { return true }; return false }) ?? outcomes[0]
    }

    private static func attempt(_ body: () throws -> Void) -> Outcome {
        do {
            try body()
            return .read
        } catch let error as TheanoError {
            return .threw(error.kind)
        } catch {
            return .unexpected("\(type(of: error)): \(error)")
        }
    }

    /// What a reader's result must support: printing, copying, views, and writing it back
    /// to the same bytes.
    private static func use(_ array: NDArray) throws {
        _ = array.description
        let written = array.npyData()
        let back = try NDArray(npyData: written)
        guard back.npyData() == written else { throw FuzzFailure("the array does not round-trip through .npy") }
        _ = array.npyData(fortranOrder: true)
        _ = try array.reshaped([-1]).count
        _ = try array.transposed().contiguous()
    }

    struct FuzzFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs `body` in a child process (Linux): a trap there is counted, not fatal. Children
    /// that run longer than 20 seconds are killed and counted as hangs.
    static func runInChild(_ body: () -> Outcome) -> Outcome {
        #if canImport(Glibc)
        let pid = fork()
        if pid == 0 {
            alarm(20)
            let code: Int32
            switch body() {
            case .read: code = 0
            case .threw: code = 1
            default: code = 2
            }
            _exit(code)
        }
        guard pid > 0 else { return body() }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        if signal == SIGALRM { return .hung }
        if signal != 0 { return .crashed(signal) }
        switch (status >> 8) & 0xFF {
        case 0: return .read
        case 1: return .threw(.io)
        default: return .unexpected("the child reported an error that is not a TheanoError")
        }
        #else
        return body()
        #endif
    }

    static func loadCorpus() throws -> [Data] {
        let folder = try fixtureURL("fuzz-corpus")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return try names.map { try Data(contentsOf: folder.appendingPathComponent($0)) }
    }
}

/// Counts of a campaign's outcomes.
struct FuzzTally: CustomStringConvertible {
    var read = 0
    var threw: [TheanoError.Kind: Int] = [:]
    var unexpected = 0
    var crashes = 0

    mutating func count(_ outcome: FuzzTests.Outcome) {
        switch outcome {
        case .read: read += 1
        case .threw(let kind): threw[kind, default: 0] += 1
        case .unexpected: unexpected += 1
        case .crashed, .hung: crashes += 1
        }
    }

    var description: String {
        let kinds = threw.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "\(read) read, threw (\(kinds)), \(unexpected) unexpected errors, \(crashes) crashes"
    }
}

/// The corpus: small valid files of every kind the readers accept, written by our own writer.
enum FuzzCorpus {
    static func files() throws -> [(String, Data)] {
        var files: [(String, Data)] = []
        let f4 = try NDArray([1.5, -2, 0, 3.25, .infinity, -0.0] as [Float], shape: [2, 3])
        let i4 = try NDArray([1, -2, 3, 2_147_483_647, -2_147_483_648, 0] as [Int32], shape: [2, 3])
        files.append(("f4_2x3.npy", f4.npyData()))
        files.append(("f8_scalar.npy", NDArray(scalar: 2.5).npyData()))
        files.append(("f8_fortran_3x2x2.npy", try NDArray.arange(0, 12, step: 1, .float64).reshaped([3, 2, 2]).npyData(fortranOrder: true)))
        files.append(("i4_fortran_2x3.npy", i4.npyData(fortranOrder: true)))
        files.append(("i8_empty_0x3.npy", try NDArray.zeros([0, 3], .int64).npyData()))
        files.append(("i8_3.npy", NDArray([Int64.min, 0, Int64.max]).npyData()))
        files.append(("i2_2x2.npy", try NDArray([1, -1, 300, -300] as [Int16], shape: [2, 2]).npyData()))
        files.append(("i1_4.npy", NDArray([1, -1, 127, -128] as [Int8]).npyData()))
        files.append(("u1_4.npy", NDArray([0, 1, 128, 255] as [UInt8]).npyData()))
        files.append(("bool_5.npy", NDArray([true, false, true, true, false]).npyData()))
        // Versions 2.0 and 3.0: a 4-byte header length (and UTF-8 text in 3.0).
        for (name, array, major) in [("v2_f4.npy", f4, UInt8(2)), ("v3_i4.npy", i4, UInt8(3))] {
            let v1 = array.npyData()
            guard let layout = NPYLayout(v1) else { throw TheanoError.io("corpus: cannot re-version \(name)") }
            files.append((name, layout.rebuilt(v1, dict: layout.dictText.trimmingCharacters(in: .whitespacesAndNewlines), major: major)))
        }
        let pair: [(name: String, array: NDArray)] = [(name: "w", array: f4), (name: "b", array: NDArray([1, 2] as [Int64]))]
        files.append(("plain.npz", try NDArray.npzData(pair)))
        files.append(("compressed.npz", try NDArray.npzData(pair, compressed: true)))
        files.append(("zip64.npz", try NPZFormat.encode(pair, compressed: false, forceZIP64: true)))
        files.append(("zip64_compressed.npz", try NPZFormat.encode(pair, compressed: true, forceZIP64: true)))
        files.append(("empty.npz", try NDArray.npzData([(name: String, array: NDArray)]())))
        let mixed = [
            ZIPArchive.Member(name: "notes/", data: Data()),
            ZIPArchive.Member(name: "notes/readme.txt", data: Data("hello".utf8)),
            ZIPArchive.Member(name: "notes/x.npy", data: NDArray([true, false]).npyData()),
        ]
        files.append(("directories.npz", try ZIPArchive.write(mixed, compressed: true)))
        return files
    }
}
