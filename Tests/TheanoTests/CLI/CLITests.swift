import Foundation
import XCTest

/// The `theano` executable's commands, run as a user would.
final class CLITests: XCTestCase {
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("theano")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("the theano executable is not built next to the tests")
        }
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testDemoHelpDocumentsItsOptions() throws {
        let r = try run(["demo", "--help"])
        XCTAssertEqual(r.status, 0)
        for option in ["--model", "--epochs", "--learning-rate", "--seed", "--batch-size", "--hidden"] {
            XCTAssertTrue(r.output.contains(option), "missing \(option): \(r.output)")
        }
    }

    func testDemoPrintsOneAccuracyLinePerModel() throws {
        let r = try run(["demo", "--model", "logistic", "--epochs", "2"], environment: ["THEANO_LINKER": "interpreter"])
        XCTAssertEqual(r.status, 0, r.output)
        let last = r.output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("logistic test accuracy: 0."), last)
    }

    func testGraphWritesDOT() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("theano-graph-\(UUID().uuidString).dot")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try run(["graph", "--example", "mlp", "-o", out.path])
        XCTAssertEqual(r.status, 0, r.output)
        let text = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("digraph \"mlp\""), text)
        XCTAssertTrue(text.contains("LogSoftmax"), text)
        let bad = try run(["graph", "-o", "graph.txt"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains(".svg, .png or .dot"), bad.output)
    }

    func testBenchRejectsUnknownWorkloads() throws {
        let r = try run(["bench", "nope"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("unknown workload 'nope'"), r.output)
    }

    func testCacheListsAndClears() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cli-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        XCTAssertTrue(try run(["cache", "size", "--dir", dir.path]).output.contains("0 entries"))
        XCTAssertTrue(try run(["cache", "clear", "--dir", dir.path]).output.contains("removed 0 files"))
    }
}
