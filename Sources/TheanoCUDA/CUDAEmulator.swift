import Foundation
import TheanoArray
import TheanoCompile

/// Runs the CUDA backend's generated kernels on the CPU: the same CUDA C text
/// (``CUDAKernelSource``) compiled as C by the C backend's compiler, after a prelude that
/// defines what CUDA provides (`threadIdx`, `blockIdx`, `blockDim`, `gridDim` as thread-local
/// variables, `__global__`/`__device__` as nothing, `atomicOr` as an atomic, `__int_as_float`),
/// and a launch function per kernel that runs every thread of every block in turn on the
/// calling thread, with device memory being host memory.
///
/// That order is a valid CUDA schedule for kernels whose threads do not wait for each other,
/// which the elementwise grid-stride kernels are; kernels with `__syncthreads` or shared
/// memory (reductions) need one OS thread per CUDA thread and a barrier, which this emulator
/// does not have yet. With it, a kernel's math, its indexing of strided and broadcast operands
/// and its grid-stride loop run through the reference checks on any machine.
public final class CUDAEmulator: @unchecked Sendable {
    /// The launch signature of an elementwise kernel: grid and block size (x only), then the
    /// kernel's own arguments.
    /// (The extent comes by address: a launch function copies it into the kernel's argument.)
    private typealias Launch = @convention(c) (UInt32, UInt32, UnsafePointer<Int64>?, UnsafePointer<Int64>?,
                                               UnsafePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int32>?) -> Void
    private let handle: UnsafeMutableRawPointer
    private let folder: URL

    /// Compiles `kernels` (the names of elementwise kernels in `unit`, a translation unit from
    /// ``CUDAKernelSource/unit(_:)``) with the system's C compiler.
    ///
    /// - Throws: `TheanoError.unsupported` when there is no C compiler or the unit does not
    ///   compile as C (with the compiler's messages).
    public init(unit: String, kernels: [String]) throws {
        guard let compiler = CCompiler.find() else {
            throw TheanoError.unsupported("CUDA emulator: no C compiler (cc, gcc or clang) found")
        }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cuda-emulator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let source = folder.appendingPathComponent("unit.c"), library = folder.appendingPathComponent("unit.so")
        let launches = kernels.map { name in
            """
            void th_emulate_\(name)(unsigned grid, unsigned block, const th_cuda_extent* e, const int64_t* strides, char* const* data, int* err) {
                gridDim.x = grid; gridDim.y = 1; gridDim.z = 1;
                blockDim.x = block; blockDim.y = 1; blockDim.z = 1;
                for (unsigned b = 0; b < grid; b++) {
                    for (unsigned t = 0; t < block; t++) {
                        blockIdx.x = b; blockIdx.y = 0; blockIdx.z = 0;
                        threadIdx.x = t; threadIdx.y = 0; threadIdx.z = 0;
                        \(name)(*e, strides, data, err);
                    }
                }
            }
            """
        }
        try (Self.prelude + unit + "\n" + launches.joined(separator: "\n")).write(to: source, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler.path)
        process.arguments = ["-O1", "-fPIC", "-shared", "-std=gnu11", "-w", "-fno-math-errno", source.path, "-o", library.path, "-lm"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let messages = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TheanoError.unsupported("CUDA emulator: the kernels did not compile as C (\(compiler.path), status \(process.terminationStatus)):\n\(messages.prefix(4000))")
        }
        guard let handle = dlopen(library.path, RTLD_NOW | RTLD_LOCAL) else {
            throw TheanoError.io("CUDA emulator: cannot load \(library.path): \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        self.handle = handle
    }

    deinit {
        dlclose(handle)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs elementwise kernel `name` on `inputs` (any strides; broadcast along axes of size 1
    /// by stride 0) into new C-contiguous outputs of `outputTypes`, as a launch of `grid`
    /// blocks of `block` threads would on a device. Returns the outputs and the kernel's error
    /// word (`TH_ERR_INT_POW` after a negative integer exponent, else 0).
    public func elementwise(_ name: String, inputs: [NDArray], outputTypes: [DType], grid: UInt32 = 3, block: UInt32 = 32) throws -> (outputs: [NDArray], error: Int32) {
        guard let symbol = dlsym(handle, "th_emulate_\(name)") else {
            throw TheanoError.invalidArgument("CUDA emulator: no kernel \(name)")
        }
        let launch = unsafeBitCast(symbol, to: Launch.self)
        let rank = inputs.map(\.rank).max() ?? 0
        guard rank <= CUDAKernelSource.maxDimensions else {
            throw TheanoError.unsupported("CUDA emulator: \(rank) axes; kernels take at most \(CUDAKernelSource.maxDimensions)")
        }
        // The broadcast shape: inputs of lower rank gain leading axes of size 1.
        var shape = Array(repeating: 1, count: rank)
        for x in inputs {
            for (d, size) in x.shape.enumerated() {
                let axis = rank - x.rank + d
                if size != 1 {
                    guard shape[axis] == 1 || shape[axis] == size else {
                        throw TheanoError.shapeMismatch("CUDA emulator: shapes \(inputs.map { formatShape($0.shape) }) do not broadcast")
                    }
                    shape[axis] = size
                }
            }
        }
        let outputs = try outputTypes.map { try NDArray(allocating: shape, dtype: $0, zeroed: true, context: "CUDA emulator") }
        var strides: [Int64] = []
        for x in inputs {
            for axis in 0..<rank {
                let d = axis - (rank - x.rank)
                strides.append(d < 0 || x.shape[d] == 1 ? 0 : Int64(x.strides[d]))
            }
        }
        let dense = contiguousStrides(shape).map { Int64($0) }
        for _ in outputs { strides.append(contentsOf: dense) }
        let contiguous = inputs.allSatisfy { $0.shape == shape && $0.isContiguous }
        // th_cuda_extent: n, ndim, contiguous, shape[maxDimensions].
        var extent: [Int64] = [Int64(shapeSize(shape)), Int64(rank), contiguous ? 1 : 0]
        extent += shape.map { Int64($0) } + Array(repeating: 0, count: CUDAKernelSource.maxDimensions - rank)
        var error: Int32 = 0
        let operands = inputs + outputs
        var data: [UnsafeMutableRawPointer?] = operands.map { $0.storage.baseAddress + $0.offset * $0.dtype.byteSize }
        withExtendedLifetime(operands) {
            extent.withUnsafeBufferPointer { e in
                strides.withUnsafeBufferPointer { s in
                    data.withUnsafeMutableBufferPointer { d in
                        launch(grid, block, e.baseAddress, s.baseAddress, UnsafePointer(d.baseAddress), &error)
                    }
                }
            }
        }
        return (outputs, error)
    }

    private static let prelude = """
    /* CUDA emulated on the CPU: built-ins as thread-local variables, device code as plain C. */
    #include <math.h>
    #include <string.h>
    typedef struct { unsigned int x, y, z; } th_dim3;
    static __thread th_dim3 threadIdx, blockIdx, blockDim, gridDim;
    #define __global__
    #define __device__
    #define __forceinline__ inline
    #define __restrict__ __restrict
    #define TH_KERNEL
    static inline float __int_as_float(int i) { float f; memcpy(&f, &i, sizeof f); return f; }
    static inline int atomicOr(int* p, int v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }

    """
}
