import Foundation
import Theano
import TheanoCUDA
import XCTest

/// The CUDA backend's pieces that need no GPU: finding NVIDIA's libraries (and saying clearly
/// where it looked), and compiling every kernel the generator can emit with NVRTC for the
/// H100/H200 (`sm_90`) and A100 (`sm_80`) architectures, with ptxas reporting no spills.
///
/// NVRTC comes from the system, `THEANO_CUDA_PATH`, or the `nvidia-cuda-nvrtc-cu12` wheel that
/// `./run.sh test` unpacks into the cache folder; `run.sh` sets `THEANO_REQUIRE_NVRTC=1` once
/// it is there, and the compile tests then fail rather than skip without it.
final class CUDACompileTests: XCTestCase {
    private func nvrtc() throws -> NVRTC {
        do {
            return try NVRTC.shared
        } catch {
            if ProcessInfo.processInfo.environment["THEANO_REQUIRE_NVRTC"] == "1" { throw error }
            throw XCTSkip("NVRTC is not installed (\(error)); ./run.sh test installs it")
        }
    }

    func testSearchOrderAndTheMissingLibraryMessage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cuda-\(UUID().uuidString)").path
        let locator = CUDALibraryLocator(environment: ["THEANO_CUDA_PATH": folder + ":/opt/other", "HOME": folder, "CUDA_HOME": folder + "/toolkit"])
        XCTAssertEqual(locator.folders(for: .cublas), [
            folder, folder + "/lib64", folder + "/lib", "/opt/other", "/opt/other/lib64", "/opt/other/lib",
            folder + "/.cache/theano-swift/cuda-wheels/nvidia/cublas/lib", folder + "/toolkit/lib64",
        ])
        XCTAssertEqual(locator.folders(for: .driver).last, folder + "/toolkit/lib64")
        XCTAssertFalse(locator.folders(for: .driver).contains { $0.contains("cuda-wheels") }, "the driver comes with the GPU driver, not a wheel")
        // cuDNN is on no machine this suite runs on without a GPU: the error says what was
        // looked for and where, and how to point the backend at it.
        guard (try? locator.load(.cudnn)) == nil else { throw XCTSkip("cuDNN is installed here") }
        assertThrows(.unsupported, containing: ["cudnn", "libcudnn.so.9", folder + "/lib64", "system library path", "THEANO_CUDA_PATH"]) {
            try locator.load(.cudnn)
        }
    }

    func testNVRTCCompilesAKernelAndReportsRegisters() throws {
        let compiler = try nvrtc()
        XCTAssertGreaterThanOrEqual(compiler.version.major, 12)
        let source = CUDAKernelSource.unit([
            try CUDAKernelSource.elementwise(ScalarProgram(
                inputTypes: [.float32, .float32],
                steps: [ScalarProgram.Step(op: .mul, operands: [.input(0), .input(1)], dtype: .float32),
                        ScalarProgram.Step(op: .sigmoid, operands: [.step(0)], dtype: .float32)],
                outputs: [.step(1)]), name: "th_sigmoid_of_product"),
        ])
        let binary = try compiler.compile(source, name: "product.cu", architecture: "sm_90")
        XCTAssertGreaterThan(binary.cubin.count, 1000)
        XCTAssertEqual(Array(binary.cubin.prefix(4)), [0x7F, 0x45, 0x4C, 0x46], "a cubin is an ELF file")
        let report = try XCTUnwrap(binary.kernels["th_sigmoid_of_product"], binary.log)
        XCTAssertGreaterThan(report.registers, 0)
        XCTAssertEqual(report.spillStores + report.spillLoads, 0)
    }

    /// Cubins are kept in the kernel cache like the C kernels: the second compile of a source
    /// for an architecture reads the same bytes back without NVRTC, another architecture is
    /// another entry, a corrupt entry is rebuilt, and the cache's listing shows them.
    func testCubinsAreCachedOnDisk() throws {
        let compiler = try nvrtc()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubin-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = KernelCache(directory: folder)
        let source = CUDAKernelSource.unit([
            try CUDAKernelSource.elementwise(ScalarProgram(
                inputTypes: [.float32], steps: [ScalarProgram.Step(op: .exp, operands: [.input(0)], dtype: .float32)],
                outputs: [.step(0)]), name: "th_cached_exp"),
        ])
        let first = try compiler.cachedCubin(source, architecture: "sm_80", cache: cache)
        XCTAssertTrue(first.compiled)
        XCTAssertEqual(first.cubin, try compiler.compile(source, architecture: "sm_80").cubin)
        let again = try compiler.cachedCubin(source, architecture: "sm_80", cache: cache)
        XCTAssertFalse(again.compiled, "the second compile reads the cache")
        XCTAssertEqual(again.cubin, first.cubin)
        let other = try compiler.cachedCubin(source, architecture: "sm_90", cache: cache)
        XCTAssertTrue(other.compiled, "another architecture is another entry")
        XCTAssertNotEqual(other.cubin, first.cubin)
        let cubins = cache.entries().filter { $0.name.hasSuffix(".cubin") }
        XCTAssertEqual(cubins.count, 2, "\(cache.entries())")
        // A truncated entry fails its checksum: it is compiled again, never loaded.
        let file = try XCTUnwrap(cache.existingFolder()).appendingPathComponent(try XCTUnwrap(cubins.first).name)
        try Data(first.cubin.prefix(100)).write(to: file)
        let (r80, r90) = (try compiler.cachedCubin(source, architecture: "sm_80", cache: cache),
                          try compiler.cachedCubin(source, architecture: "sm_90", cache: cache))
        XCTAssertEqual([r80.compiled, r90.compiled].filter { $0 }.count, 1, "only the corrupt entry is compiled again")
        XCTAssertEqual(r80.cubin, first.cubin)
        XCTAssertEqual(r90.cubin, other.cubin)
        XCTAssertEqual(try cache.clear(), 6, "two entries of three files each: cubin, sum, lock")
    }

    func testCompileErrorsCarryNVRTCsLog() throws {
        let compiler = try nvrtc()
        assertThrows(.unsupported, containing: ["broken.cu", "sm_80", "error"]) {
            try compiler.compile(CUDAKernelSource.preamble + "extern \"C\" __global__ void k() { undefined_name(); }",
                                 name: "broken.cu", architecture: "sm_80")
        }
    }

    /// Every scalar op on every dtype it accepts, each as its own kernel, in one translation
    /// unit per architecture: all compile, and ptxas spills nothing. (One test per
    /// architecture, so the two run in parallel.)
    func testEveryScalarOpAndDTypeCompilesForSM90() throws { try compileEveryScalarOp(for: "sm_90") }

    func testEveryScalarOpAndDTypeCompilesForSM80() throws { try compileEveryScalarOp(for: "sm_80") }

    private func compileEveryScalarOp(for architecture: String) throws {
        let compiler = try nvrtc()
        var kernels: [String] = [], names: [String] = []
        for op in ScalarOp.allCases {
            for t in DType.allCases {
                let types: [DType] = op == .where ? [.bool, t, t] : Array(repeating: t, count: op.arity)
                guard case .success(let out) = op.outputDType(types) else { continue }
                let program = ScalarProgram(inputTypes: types, steps: [
                    ScalarProgram.Step(op: op, operands: types.indices.map { .input($0) }, dtype: out),
                ], outputs: [.step(0)])
                let name = "th_k\(names.count)_\(op.name)_\(t.name)"
                kernels.append(try CUDAKernelSource.elementwise(program, name: name))
                names.append(name)
            }
        }
        XCTAssertGreaterThan(names.count, 250, "ops x dtypes")
        do {
            let binary = try compiler.compile(CUDAKernelSource.unit(kernels), name: "scalar_ops.cu", architecture: architecture)
            let reports = binary.kernels
            for name in names {
                guard let report = reports[name] else {
                    XCTFail("\(architecture): no ptxas report for \(name)")
                    continue
                }
                XCTAssertEqual(report.spillStores + report.spillLoads, 0, "\(architecture) \(name) spills")
            }
        }
    }

    /// Fused programs as the fusion pass builds them (several steps, constants, mixed dtypes,
    /// several outputs) compile too.
    func testFusedProgramsCompile() throws {
        let compiler = try nvrtc()
        let programs: [ScalarProgram] = [
            // relu gradient: gz * ((x > 0) + 0.5 * (x == 0))
            ScalarProgram(inputTypes: [.float32, .float32], steps: [
                ScalarProgram.Step(op: .gt, operands: [.input(0), .constant(0, .float32)], dtype: .bool),
                ScalarProgram.Step(op: .cast(.float32), operands: [.step(0)], dtype: .float32),
                ScalarProgram.Step(op: .eq, operands: [.input(0), .constant(0, .float32)], dtype: .bool),
                ScalarProgram.Step(op: .cast(.float32), operands: [.step(2)], dtype: .float32),
                ScalarProgram.Step(op: .mul, operands: [.step(3), .constant(0.5, .float32)], dtype: .float32),
                ScalarProgram.Step(op: .add, operands: [.step(1), .step(4)], dtype: .float32),
                ScalarProgram.Step(op: .mul, operands: [.input(1), .step(5)], dtype: .float32),
            ], outputs: [.step(6)]),
            // softplus and log1mexp of a float64, two outputs
            ScalarProgram(inputTypes: [.float64], steps: [
                ScalarProgram.Step(op: .softplus, operands: [.input(0)], dtype: .float64),
                ScalarProgram.Step(op: .neg, operands: [.step(0)], dtype: .float64),
                ScalarProgram.Step(op: .log1mexp, operands: [.step(1)], dtype: .float64),
            ], outputs: [.step(0), .step(2)]),
            // integer power and floor division with a cast back to int16
            ScalarProgram(inputTypes: [.int16, .int64], steps: [
                ScalarProgram.Step(op: .cast(.int64), operands: [.input(0)], dtype: .int64),
                ScalarProgram.Step(op: .pow, operands: [.step(0), .input(1)], dtype: .int64),
                ScalarProgram.Step(op: .floorDiv, operands: [.step(1), .constant(3, .int64)], dtype: .int64),
                ScalarProgram.Step(op: .cast(.int16), operands: [.step(2)], dtype: .int16),
            ], outputs: [.step(3)]),
        ] + DType.allCases.map { t in
            // The identity programs `Alloc` runs (a value broadcast into a new array).
            ScalarProgram(inputTypes: [t], steps: [], outputs: [.input(0)])
        }
        let kernels = try programs.enumerated().map { try CUDAKernelSource.elementwise($1, name: "th_fused_\($0)") }
        let binary = try compiler.compile(CUDAKernelSource.unit(kernels), name: "fused.cu", architecture: "sm_90")
        for k in kernels.indices {
            let report = try XCTUnwrap(binary.kernels["th_fused_\(k)"], binary.log)
            XCTAssertEqual(report.spillStores + report.spillLoads, 0)
        }
    }

    /// Every reduction kind on every dtype (partial and finishing kernels, warp shuffles of
    /// each accumulator type), the softmax and the cross-entropy kernels compile for both
    /// architectures without spills.
    func testReductionsCompile() throws {
        let compiler = try nvrtc()
        var kernels: [String] = [], names: [String] = []
        for kind in [ReduceKind.sum, .prod, .max, .min, .all, .any] {
            for t in DType.allCases {
                let name = "th_r\(names.count)_\(kind)_\(t.name)"
                kernels.append(try CUDAReductionSource.reduction(ScalarProgram(inputTypes: [t], steps: [], outputs: [.input(0)]), kind: kind, name: name))
                names.append(name)
            }
        }
        var softmaxes: [String] = []
        for t in [DType.float32, .float64] {
            for log in [false, true] {
                let name = "th_softmax_\(t.name)_\(log)"
                kernels.append(try CUDASoftmaxSource.kernel(name: name, dtype: t, log: log))
                softmaxes.append(name)
            }
            kernels.append(try CUDACrossEntropySource.pick(name: "th_xent_pick_\(t.name)", dtype: t))
            kernels.append(try CUDACrossEntropySource.gradient(name: "th_xent_grad_\(t.name)", dtype: t))
            softmaxes += ["th_xent_pick_\(t.name)", "th_xent_grad_\(t.name)"]
        }
        for architecture in ["sm_80", "sm_90"] {
            let binary = try compiler.compile(CUDAKernelSource.unit(kernels), name: "reductions.cu", architecture: architecture)
            let reports = binary.kernels
            for name in names {
                for suffix in ["_partial", "_finish"] {
                    guard let report = reports[name + suffix] else {
                        XCTFail("\(architecture): no ptxas report for \(name + suffix)")
                        continue
                    }
                    XCTAssertEqual(report.spillStores + report.spillLoads, 0, "\(architecture) \(name + suffix) spills")
                }
            }
            for name in softmaxes {
                let report = try XCTUnwrap(reports[name], "\(architecture): no ptxas report for \(name)")
                XCTAssertEqual(report.spillStores + report.spillLoads, 0, "\(architecture) \(name) spills")
            }
        }
    }

    /// The row gather (every element width) and the atomic scatter-add (every dtype it
    /// supports) compile for both architectures without spills.
    func testIndexingKernelsCompile() throws {
        let compiler = try nvrtc()
        var kernels: [String] = [], names: [String] = []
        for width in [1, 2, 4, 8] {
            names.append("th_gather_\(width)")
            kernels.append(try CUDAIndexingSource.gather(name: names.last!, byteWidth: width))
        }
        for dtype in DType.allCases where CUDAIndexingSource.scatterAddSupports(dtype) {
            names.append("th_scatter_\(dtype.name)")
            kernels.append(try CUDAIndexingSource.scatterAdd(name: names.last!, dtype: dtype))
        }
        XCTAssertEqual(names.count, 8)
        try assertCompilesWithoutSpills(kernels, names: names, unit: "indexing.cu", compiler: compiler)
    }

    /// The pooling kernels (forward with a maximum or an average, both gradients, the gather)
    /// of both dtypes compile for both architectures without spills.
    func testPoolingKernelsCompile() throws {
        let compiler = try nvrtc()
        var kernels: [String] = [], names: [String] = []
        for dtype in [DType.float32, .float64] {
            for max in [true, false] {
                names.append("th_pool_\(dtype.name)_\(max)")
                kernels.append(try CUDAPoolSource.forward(name: names.last!, dtype: dtype, max: max))
                names.append("th_pool_grad_\(dtype.name)_\(max)")
                kernels.append(try CUDAPoolSource.gradient(name: names.last!, dtype: dtype, max: max))
            }
            names.append("th_pool_gather_\(dtype.name)")
            kernels.append(try CUDAPoolSource.gather(name: names.last!, dtype: dtype))
        }
        try assertCompilesWithoutSpills(kernels, names: names, unit: "pooling.cu", compiler: compiler)
    }

    /// The im2col, col2im and epilogue kernels of both dtypes compile for both architectures without
    /// spills.
    func testConvolutionKernelsCompile() throws {
        let compiler = try nvrtc()
        var kernels: [String] = [], names: [String] = []
        for dtype in [DType.float32, .float64] {
            names.append("th_im2col_\(dtype.name)")
            kernels.append(try CUDAConvSource.im2col(name: names.last!, dtype: dtype))
            names.append("th_col2im_\(dtype.name)")
            kernels.append(try CUDAConvSource.col2im(name: names.last!, dtype: dtype))
            for relu in [true, false] {
                names.append("th_epilogue_\(dtype.name)_\(relu)")
                kernels.append(try CUDAConvSource.epilogue(name: names.last!, dtype: dtype, relu: relu))
            }
        }
        try assertCompilesWithoutSpills(kernels, names: names, unit: "convolution.cu", compiler: compiler)
    }

    /// The Philox kernels of every distribution and dtype (integer bounds at the extremes
    /// included) compile for both architectures without spills.
    func testRandomKernelsCompile() throws {
        let compiler = try nvrtc()
        var kernels = [CUDARandomSource.helpers], names: [String] = []
        let distributions: [RandomDistribution] = [.uniform, .normal, .truncatedNormal, .integers(low: -5, high: 17),
                                                   .integers(low: Int.min, high: Int.max)]
        for (d, distribution) in distributions.enumerated() {
            for dtype in [DType.float32, .float64, .int32, .int64] {
                names.append("th_random_\(d)_\(dtype.name)")
                kernels.append(try CUDARandomSource.kernel(name: names.last!, distribution: distribution, dtype: dtype))
            }
        }
        try assertCompilesWithoutSpills(kernels, names: names, unit: "random.cu", compiler: compiler)
    }

    /// Compiles `kernels` as one unit for sm_80 and sm_90 and checks that each of `names` has
    /// a ptxas report without spills.
    private func assertCompilesWithoutSpills(_ kernels: [String], names: [String], unit: String, compiler: NVRTC,
                                             file: StaticString = #filePath, line: UInt = #line) throws {
        for architecture in ["sm_80", "sm_90"] {
            let binary = try compiler.compile(CUDAKernelSource.unit(kernels), name: unit, architecture: architecture)
            for name in names {
                let report = try XCTUnwrap(binary.kernels[name], "\(architecture): no ptxas report for \(name)", file: file, line: line)
                XCTAssertEqual(report.spillStores + report.spillLoads, 0, "\(architecture) \(name) spills", file: file, line: line)
            }
        }
    }
}
