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

    /// `theano gpu-check` compares the CUDA backend with the reference case by case; on the
    /// emulated device the selected cases pass, and a bad backend name is a clear error.
    func testGPUCheckPassesOnTheEmulator() throws {
        let r = try run(["gpu-check", "--backend", "cuda-emulator", "--case", "random", "--case", "pooling", "--case", "convolutions", "--case", "lookup"],
                        environment: ["OMP_WAIT_POLICY": "PASSIVE"])
        XCTAssertEqual(r.status, 0, r.output)
        // Two convolution cases (2-d grouped; 1-d and 3-d dilated), through the emulated cuDNN.
        XCTAssertTrue(r.output.contains("5 passed, 0 failed"), r.output)
        XCTAssertEqual(r.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count, 5, r.output)
        XCTAssertTrue(r.output.contains("convolutions: emulated cuDNN, else im2col + cuBLAS"), r.output)
        let bad = try run(["gpu-check", "--backend", "tpu"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("unknown backend 'tpu'"), bad.output)
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

    /// The convnet demo trains, plots its curves as SVG, saves its parameters, and evaluates
    /// them again after loading with `--epochs 0`; a bad file is a clear error.
    func testConvnetDemoPlotsSavesAndLoads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("theano-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plot = dir.appendingPathComponent("curve.svg"), saved = dir.appendingPathComponent("convnet.npz")
        let r = try run(["demo", "--model", "convnet", "--epochs", "1", "--plot", plot.path, "--save", saved.path])
        XCTAssertEqual(r.status, 0, r.output)
        let trained = r.output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(trained.hasPrefix("convnet test accuracy: 0."), trained)
        XCTAssertTrue(r.output.contains("total parameters:"), "the summary table is printed: \(r.output)")
        XCTAssertTrue(try String(contentsOf: plot, encoding: .utf8).hasPrefix("<svg"))
        let again = try run(["demo", "--model", "convnet", "--epochs", "0", "--load", saved.path])
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertEqual(again.output.split(separator: "\n").last.map(String.init), trained, "the loaded parameters give the same accuracy")
        let missing = try run(["demo", "--model", "logistic", "--epochs", "0", "--load", saved.path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("has no entry 'dense.W'"), missing.output)
        let misshaped = try run(["demo", "--model", "mlp", "--epochs", "0", "--load", saved.path])
        XCTAssertNotEqual(misshaped.status, 0)
        XCTAssertTrue(misshaped.output.contains("entry 'hidden.W' has shape [256, 128], the model expects [64, 128]"), misshaped.output)
    }

    func testDemoTrainsTheRecurrentModel() throws {
        let r = try run(["demo", "--model", "rnn", "--epochs", "1", "--hidden", "16"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("rnn (SimpleRNN)"), r.output)
        let last = r.output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("rnn test accuracy: 0."), last)
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

    func testGraphListsRewriteRules() throws {
        let r = try run(["graph", "--rules"])
        XCTAssertEqual(r.status, 0, r.output)
        for name in ["canonicalize", "mul_by_one", "log1p_from_log", "gemm_from_sum", "fusion_reduce", "inplace"] {
            XCTAssertTrue(r.output.contains(name), "missing \(name): \(r.output)")
        }
        let md = try run(["graph", "--rules", "--markdown"])
        XCTAssertEqual(md.status, 0, md.output)
        XCTAssertTrue(md.output.hasPrefix("# Rewrite passes and rules"), md.output)
        let bad = try run(["graph", "--markdown"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("--markdown goes with --rules"), bad.output)
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

    func testCacheClearLeavesFilesItDidNotWrite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cli-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let userFiles = ["libfoo.so", "main.c", "notes.sum", "x.lock"]
        for name in userFiles { try Data(name.utf8).write(to: dir.appendingPathComponent(name)) }
        let refused = try run(["cache", "clear", "--dir", dir.path])
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertTrue(refused.output.contains("\(dir.path) is not a Theano kernel cache"), refused.output)
        XCTAssertTrue(refused.output.contains("libfoo.so, main.c, notes.sum, x.lock"), refused.output)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), Set(userFiles))

        // Once marked, the folder's cache entries go and the user's files stay.
        let key = String(repeating: "5", count: 64)
        for name in [".theano-kernel-cache", "\(key).so", "\(key).sum", "\(key).lock"] { try Data().write(to: dir.appendingPathComponent(name)) }
        let cleared = try run(["cache", "clear", "--dir", dir.path])
        XCTAssertEqual(cleared.status, 0, cleared.output)
        XCTAssertTrue(cleared.output.contains("removed 3 files from \(dir.path)"), cleared.output)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), Set(userFiles + [".theano-kernel-cache"]))
        for name in userFiles { XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8), name) }
    }

    func testACacheFolderThatIsAFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cli-cache-file-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("x".utf8).write(to: file)
        let list = try run(["cache", "list"], environment: ["THEANO_CACHE_DIR": file.path])
        XCTAssertNotEqual(list.status, 0, list.output)
        XCTAssertTrue(list.output.contains("\(file.path) is a file"), list.output)
        // Programs still run: their elementwise nodes run the reference.
        let demo = try run(["demo", "--model", "logistic", "--epochs", "1"], environment: ["THEANO_CACHE_DIR": file.path, "THEANO_BACKEND": "cpu"])
        XCTAssertEqual(demo.status, 0, demo.output)
        XCTAssertTrue(demo.output.contains("logistic test accuracy: 0."), demo.output)
    }
}
