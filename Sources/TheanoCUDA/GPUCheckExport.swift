import Foundation
import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

/// The files of the on-GPU check (`scripts/gpu-check.sh`): every elementwise kernel the CUDA
/// generator emits for one scalar op and dtype, in one translation unit, with input values and
/// the outputs the reference backend computes from them. The GPU machine has no Swift
/// toolchain, so `scripts/gpu_replay.py` compiles the unit there with NVRTC (through CuPy),
/// launches each kernel with the backend's calling convention and compares.
///
/// Written to `folder`: `kernels.cu`, `manifest.json` (per kernel: name, input and output
/// dtypes and the `.npy` files), and the `.npy` files. Returns the number of kernels.
public enum GPUCheckExport {
    /// One kernel of `manifest.json`: its name, its inputs' and output's `.npy` files and
    /// dtypes.
    public struct Entry: Codable, Sendable {
        public let name: String
        public let inputs: [String]
        public let output: String
        public let inputDTypes: [String]
        public let outputDType: String
    }

    /// Writes the check's files for arrays of `count` elements (odd, so grid-stride loops
    /// have a ragged end).
    public static func write(to folder: URL, count: Int = 1031) throws -> Int {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var kernels: [String] = [], entries: [Entry] = []
        var rng = RandomGenerator(seed: 2026)
        for op in ScalarOp.allCases {
            for t in DType.allCases {
                let types: [DType] = op == .where ? [.bool, t, t] : Array(repeating: t, count: op.arity)
                guard case .success(let out) = op.outputDType(types) else { continue }
                let name = "th_check\(entries.count)_\(op.name)_\(t.name)"
                let program = ScalarProgram(inputTypes: types, steps: [
                    ScalarProgram.Step(op: op, operands: types.indices.map { .input($0) }, dtype: out),
                ], outputs: [.step(0)])
                let values = try types.map { try checkValues($0, count, &rng) }
                guard let expected = try? referenceOutput(op, types, values) else { continue }
                kernels.append(try CUDAKernelSource.elementwise(program, name: name))
                var inputFiles: [String] = []
                for (i, value) in values.enumerated() {
                    let file = "\(name)_in\(i).npy"
                    try value.saveNPY(to: folder.appendingPathComponent(file))
                    inputFiles.append(file)
                }
                let outputFile = "\(name)_out.npy"
                try expected.saveNPY(to: folder.appendingPathComponent(outputFile))
                entries.append(Entry(name: name, inputs: inputFiles, output: outputFile,
                                     inputDTypes: types.map(\.name), outputDType: out.name))
            }
        }
        try CUDAKernelSource.unit(kernels).write(to: folder.appendingPathComponent("kernels.cu"), atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(entries).write(to: folder.appendingPathComponent("manifest.json"))
        return entries.count
    }

    /// Inputs in every op's ordinary domain: floats in [0.25, 2.75] (positive, away from the
    /// poles of `lgamma` and `digamma`; `arccos` and `arctanh` give NaN on both sides),
    /// integers in [1, 5] (no division by zero, no negative exponent), bools at random.
    static func checkValues(_ dtype: DType, _ count: Int, _ rng: inout RandomGenerator) throws -> NDArray {
        let doubles = (0..<count).map { _ in rng.nextUnit() }
        let values: [Double]
        switch dtype {
        case .bool: values = doubles.map { $0 < 0.5 ? 0 : 1 }
        case .float32, .float64: values = doubles.map { 0.25 + 2.5 * $0 }
        default: values = doubles.map { 1 + Foundation.floor(5 * $0).clamped(to: 0...4) }
        }
        return try NDArray(values, shape: [count]).astype(dtype)
    }

    /// The op on `values` through the reference backend.
    static func referenceOutput(_ op: ScalarOp, _ types: [DType], _ values: [NDArray]) throws -> NDArray {
        let inputs = types.enumerated().map { i, t in Tensor.variable("x\(i)", t, shape: [nil]) }
        let output = Tensor(try Elemwise(op).makeNode(inputs.map(\.variable)).outputs[0])
        let f = try function(inputs, [output], mode: .fastCompile, options: CompileOptions(backend: .reference))
        return try f.call(values)[0]
    }
}

private extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
