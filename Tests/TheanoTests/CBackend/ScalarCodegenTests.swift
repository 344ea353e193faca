import Foundation
import Theano
@testable import TheanoCompile
import XCTest

/// Code generation covers every scalar op, and a dialect without statement expressions (what
/// CUDA C needs) computes exactly what the C dialect computes.
final class ScalarCodegenTests: XCTestCase {
    /// C as the C backend writes it, but with helper functions instead of statement expressions.
    static let portable = CodegenDialect(name: "portable C", statementExpressions: false, helperSpecifiers: "static inline")

    /// `(op, input dtypes, output dtype, argument names)` for every op and every dtype it accepts.
    static var applications: [(op: ScalarOp, types: [DType], out: DType, args: [String])] {
        ScalarOp.allCases.flatMap { op in
            op.acceptedInputTypes.map { types in
                (op, types, (try? op.outputDType(types).get()) ?? types[0], types.indices.map { "x\($0)" })
            }
        }
    }

    func testEveryOpHasCodeForEveryDTypeItAccepts() throws {
        for dialect in [CodegenDialect.c, Self.portable] {
            let codegen = ScalarCodegen(dialect: dialect)
            for (op, types, out, args) in Self.applications {
                XCTAssertNoThrow(try codegen.expression(op, args, types, out: out, errorFlag: "err"), "\(op) on \(types) in \(dialect.name)")
            }
        }
    }

    /// Integers narrower than 32 bits become floats through `int32_t`: gcc 12 leaves a loop
    /// scalar when a comparison's `uint8_t` result turns straight into a float (the ReLU
    /// gradient's kernel ran 6-8x slower). Wider types convert directly.
    func testNarrowIntegersWidenThroughInt32BeforeBecomingFloats() {
        for from in [DType.bool, .uint8, .int8, .int16] {
            XCTAssertEqual(ScalarCodegen.cast("t", from: from, to: .float32), "((float)(int32_t)t)")
            XCTAssertEqual(ScalarCodegen.cast("t", from: from, to: .float64), "((double)(int32_t)t)")
        }
        XCTAssertEqual(ScalarCodegen.cast("t", from: .int32, to: .float32), "((float)t)")
        XCTAssertEqual(ScalarCodegen.cast("t", from: .int64, to: .float64), "((double)t)")
    }

    func testExpressionsCallOnlyPreambleHelpersOrGeneratedHelpers() throws {
        let helpers = ScalarCodegen(dialect: Self.portable).helperFunctions()
        XCTAssertEqual(ScalarCodegen(dialect: .c).helperFunctions(), "")
        XCTAssertFalse(helpers.contains("({"))
        for (dialect, allowed) in [(CodegenDialect.c, Set<String>()), (Self.portable, identifiers(in: helpers))] {
            for (op, types, out, args) in Self.applications {
                let text = try ScalarCodegen(dialect: dialect).expression(op, args, types, out: out, errorFlag: "err")
                let unknown = identifiers(in: text).subtracting(ScalarCodegen.preambleHelpers).subtracting(allowed)
                XCTAssertEqual(unknown, [], "\(op) on \(types) in \(dialect.name)")
                if !dialect.statementExpressions { XCTAssertFalse(text.contains("({"), "\(op) on \(types)") }
            }
        }
    }

    /// Compiles every op on every dtype in both dialects into one program (no optimisation, so
    /// nothing is folded at compile time) and compares the results bit for bit on special values.
    func testDialectWithoutStatementExpressionsComputesTheSameAsC() throws {
        var source = CPreamble.text + "\n#include <stdio.h>\n" + ScalarCodegen(dialect: Self.portable).helperFunctions()
        var calls: [String] = []
        for (k, (op, types, out, args)) in Self.applications.enumerated() {
            let inline = try ScalarCodegen(dialect: .c).expression(op, args, types, out: out, errorFlag: "err")
            let called = try ScalarCodegen(dialect: Self.portable).expression(op, args, types, out: out, errorFlag: "err")
            source += caseFunction(k, "\(op) on \(types)", types: types, out: out, inline, called)
            calls.append("    bad += case\(k)();")
        }
        source += "int main(void) {\n    int bad = 0;\n\(calls.joined(separator: "\n"))\n    printf(\"mismatches: %d\\n\", bad);\n    return bad != 0;\n}\n"
        let output = try compileAndRun(source)
        XCTAssertEqual(output.status, 0, output.text)
        XCTAssertTrue(output.text.hasSuffix("mismatches: 0\n"), output.text)
    }

    /// A translation unit declares only the libm vector functions and helpers its kernels use,
    /// and the helpers bring what they call.
    func testPreambleHoldsOnlyWhatTheKernelsUse() {
        let plain = CPreamble.text(for: "out[i] = a[i] + b[i];")
        XCTAssertTrue(plain.contains("th_call"))
        XCTAssertFalse(plain.contains("TH_SIMD float"), plain)
        XCTAssertFalse(plain.contains("th_digamma"), plain)
        let exp = CPreamble.text(for: "out[i] = expf(a[i]);")
        XCTAssertTrue(exp.contains("TH_SIMD float expf(float)"), exp)
        XCTAssertFalse(exp.contains("tanhf"), exp)
        let digamma = CPreamble.text(for: "out[i] = th_digamma(a[i]);")
        XCTAssertTrue(digamma.contains("static inline double th_digamma"), digamma)
        XCTAssertTrue(digamma.contains("double tan(double)"), "digamma calls tan: \(digamma)")
        XCTAssertFalse(digamma.contains("th_ipow"), digamma)
        XCTAssertLessThan(plain.count, CPreamble.text.count / 3)
    }

    private func identifiers(in text: String) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: "th_[A-Za-z0-9_]+")
        let range = NSRange(text.startIndex..., in: text)
        return Set(regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
    }

    private func values(_ t: DType) -> [String] {
        switch t {
        case .float32, .float64:
            return [Double.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 0.5, 2.5, -3.75, 7, 1e-3, 30].map { ScalarCodegen.literal($0, t) }
        case .bool:
            return [0, 1].map { ScalarCodegen.literal($0, t) }
        case .uint8, .int8, .int16, .int32, .int64:
            return [0, 1, -1, 2, -3, 7, 100, -128, 127].map { ScalarCodegen.literal($0, t) }
        }
    }

    /// A C function that evaluates both expressions on every combination of special values
    /// and returns the number of results that differ.
    private func caseFunction(_ k: Int, _ label: String, types: [DType], out: DType, _ inline: String, _ called: String) -> String {
        var lines = ["static int case\(k)(void) {", "    int bad = 0, err = 0;"]
        for (i, t) in types.enumerated() {
            let vs = values(t)
            lines.append("    static const \(ScalarCodegen.cType(t)) v\(i)[\(vs.count)] = {\(vs.joined(separator: ", "))};")
        }
        for (i, t) in types.enumerated() {
            lines.append("    for (int i\(i) = 0; i\(i) < \(values(t).count); i\(i)++) {")
            lines.append("    const \(ScalarCodegen.cType(t)) x\(i) = v\(i)[i\(i)];")
        }
        let ct = ScalarCodegen.cType(out)
        lines.append("    const \(ct) r1 = \(inline);")
        lines.append("    const \(ct) r2 = \(called);")
        lines.append("    if (memcmp(&r1, &r2, sizeof r1) != 0 && !(r1 != r1 && r2 != r2)) { printf(\"%s differs\\n\", \"\(label)\"); bad++; }")
        lines.append(String(repeating: "    }", count: types.count))
        lines.append("    (void)err;\n    return bad;\n}\n")
        return lines.joined(separator: "\n")
    }

    private func compileAndRun(_ source: String) throws -> (status: Int32, text: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("theano-codegen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("dialects.c"), program = dir.appendingPathComponent("dialects")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let compiled = try run("/usr/bin/env", ["cc", "-std=gnu11", "-O0", "-w", file.path, "-o", program.path, "-lm"])
        guard compiled.status == 0 else { return (compiled.status, "compile failed:\n" + compiled.text) }
        return try run(program.path, [])
    }

    private func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
