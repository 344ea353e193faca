import Foundation
import Theano
@testable import TheanoCompile
import XCTest

/// The cache owns a marked folder and deletes only its own files there.
final class KernelCacheFolderTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cache-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    static let userFiles = ["libfoo.so", "main.c", "notes.sum", "x.lock"]
    static let key = String(repeating: "0123456789abcdef", count: 4)

    func write(_ names: [String], in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in names { try Data("mine: \(name)\n".utf8).write(to: folder.appendingPathComponent(name)) }
    }

    func names(in folder: URL) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    }

    func compileSample(_ directory: URL) throws -> Function {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x) * 2 + 1], options: CompileOptions(backend: .cpu, cacheDirectory: directory))
        XCTAssertEqual(f.kernelReport.missing.count, 0, f.kernelReport.description)
        return f
    }

    func testANewFolderIsMarked() throws {
        let directory = root.appendingPathComponent("new/cache")
        _ = try compileSample(directory)
        let marker = try String(contentsOf: directory.appendingPathComponent(KernelCache.markerName), encoding: .utf8)
        XCTAssertTrue(marker.hasPrefix("theano-kernel-cache 1\n"), marker)
        XCTAssertEqual(try KernelCache(directory: directory).existingFolder(), directory)
        XCTAssertEqual(KernelCache(directory: directory).entries().count, 1)
    }

    func testAFolderOfOtherFilesGetsAMarkedSubfolder() throws {
        try write(Self.userFiles, in: root)
        _ = try compileSample(root)
        let sub = root.appendingPathComponent(KernelCache.subfolderName)
        XCTAssertEqual(try names(in: root), Set(Self.userFiles + [KernelCache.subfolderName]), "nothing written beside the user's files")
        XCTAssertTrue(FileManager.default.fileExists(atPath: sub.appendingPathComponent(KernelCache.markerName).path))
        let cache = KernelCache(directory: root)
        XCTAssertEqual(try cache.existingFolder(), sub)
        XCTAssertEqual(cache.entries().count, 1)
        XCTAssertGreaterThan(try cache.clear(), 0)
        XCTAssertEqual(try names(in: root), Set(Self.userFiles + [KernelCache.subfolderName]))
        XCTAssertEqual(try names(in: sub), [KernelCache.markerName], "the marker stays, the entries go")
        for name in Self.userFiles {
            XCTAssertEqual(try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8), "mine: \(name)\n")
        }
    }

    func testClearDeletesOnlyTheCachesOwnNames() throws {
        _ = try compileSample(root)
        let key = Self.key
        let lookalikes = Self.userFiles + [
            "\(key).txt", "\(key).so.bak", "\(key.uppercased()).so", "\(key.dropLast()).so", "\(key)0.so", "\(key.prefix(31)).so",
            "\(key).12-x.c", "\(key).12.c", "\(key).-3.so", "\(key).1-2.lock", "\(KernelCache.markerName).old",
        ]
        let ours = ["\(key).so", "\(key).sum", "\(key).lock", "\(key).123-456.c", "\(key).123-456.so", "\(key).7-8.sum",
                    "\(key.prefix(32)).so", "\(key.prefix(32)).sum", "\(key.prefix(32)).lock"]  // an earlier version's entry
        try write(lookalikes + ours, in: root)
        let before = try names(in: root)
        let removed = try KernelCache(directory: root).clear()
        let after = try names(in: root)
        XCTAssertEqual(after, Set(lookalikes + [KernelCache.markerName]))
        XCTAssertEqual(removed, before.count - after.count)
    }

    func testClearRefusesAFolderItDoesNotOwn() throws {
        try write(Self.userFiles + ["\(Self.key).so"], in: root)
        assertThrows(.io, containing: [root.path, "not a Theano kernel cache", KernelCache.markerName, "libfoo.so", "nothing was touched"]) {
            try KernelCache(directory: root).clear()
        }
        XCTAssertEqual(try names(in: root), Set(Self.userFiles + ["\(Self.key).so"]))
        // No cache at all is not an error: there is nothing to clear.
        XCTAssertEqual(try KernelCache(directory: root.appendingPathComponent("none")).clear(), 0)
    }

    func testAnUnmarkedCacheOfEarlierVersionsIsAdopted() throws {
        let old = Self.key.prefix(32)  // keys before SHA-256
        try write(["\(Self.key).so", "\(Self.key).sum", "\(Self.key).lock", "\(old).so", "\(old).sum", "\(old).lock"], in: root)
        XCTAssertEqual(try KernelCache(directory: root).existingFolder(), root)
        _ = try compileSample(root)
        XCTAssertTrue(KernelCache.isMarked(root))
        let files = try names(in: root).count
        XCTAssertEqual(try KernelCache(directory: root).clear(), files - 1)
        XCTAssertEqual(try names(in: root), [KernelCache.markerName])
    }

    func testEntryNames() {
        let key = Self.key
        for name in ["\(key).so", "\(key).sum", "\(key).lock", "\(key).1-2.c", "\(key).4242-18446744073709551615.so", "\(key).1-2.sum"] {
            XCTAssertEqual(KernelCache.entryKey(ofFileNamed: name), key, name)
        }
        XCTAssertEqual(KernelCache.entryKey(ofFileNamed: "\(key.prefix(32)).so"), String(key.prefix(32)))
        for name in ["libfoo.so", "main.c", "\(key).c", "\(key).1-2.lock", "\(key).1-.so", "\(key).a-2.so", "\(key)", "\(key).so.1", "G\(key.dropFirst()).so", "\(key.prefix(48)).so"] {
            XCTAssertNil(KernelCache.entryKey(ofFileNamed: name), name)
        }
    }
}
