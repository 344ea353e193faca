import Foundation
import TheanoArray
import TheanoCompile

/// Runs the CUDA backend's generated kernels on the CPU: the same CUDA C text
/// (``CUDAKernelSource``, ``CUDAReductionSource``) compiled as C by the C backend's compiler,
/// after a prelude that defines what CUDA provides, with device memory being host memory.
///
/// A launch runs its blocks one after another on the calling thread. For kernels whose threads
/// wait for each other (reductions, softmax) each CUDA thread of a block is a fiber (`ucontext`)
/// with its own stack, and `__syncthreads()` returns to a scheduler that runs every fiber up to
/// the barrier before any goes past it; `__shared__` variables are static storage, shared by
/// the block's threads (one block runs at a time), and `__shfl_down_sync` passes
/// values through an exchange array between two barriers (a kernel calls it with every thread
/// of the block, as the generated reductions do). `threadIdx`, `blockIdx`, `blockDim` and
/// `gridDim` are thread-local variables; `atomicOr` is an atomic; `__int_as_float` a copy; the
/// scatter kernels' float adds are plain adds (a launch's threads run one at a time).
/// Blocks of at most 1024 threads.
///
/// With it, the kernels' math, their indexing of strided and broadcast operands, their
/// grid-stride loops and the reductions' warp and block trees run through the reference checks
/// on any machine.
public final class CUDAEmulator: @unchecked Sendable {
    /// A kernel's launcher: grid and block size (x only), then one pointer per kernel
    /// parameter to its value (the driver's `cuLaunchKernel` convention).
    typealias Launch = @convention(c) (UInt32, UInt32, UnsafePointer<UnsafeMutableRawPointer?>?) -> Int32

    private let library: SharedLibrary

    /// Compiles `unit` (from ``CUDAKernelSource/unit(_:)``), which holds the elementwise
    /// kernels named `elementwise` and the reductions named `reductions` (each a `_partial`
    /// and a `_finish` kernel), with the system's C compiler.
    public convenience init(unit: String, elementwise: [String] = [], reductions: [String] = []) throws {
        try self.init(unit: unit, launchable: elementwise + reductions.flatMap { [$0 + "_partial", $0 + "_finish"] })
    }

    /// Compiles `unit` with a launcher for each of the kernels `launchable` (`TH_KERNEL`
    /// functions of the unit; their parameter lists are read from the source).
    ///
    /// - Throws: `TheanoError.unsupported` when there is no C compiler, a kernel is not in the
    ///   unit, or the unit does not compile as C (with the compiler's messages).
    public init(unit: String, launchable: [String]) throws {
        guard let compiler = CCompiler.find() else {
            throw TheanoError.unsupported("CUDA emulator: no C compiler (cc, gcc or clang) found")
        }
        var wrappers: [String] = []
        let sections = Self.kernelSections(unit)
        for name in launchable {
            guard let section = sections[name] else {
                throw TheanoError.unsupported("CUDA emulator: the unit has no kernel \(name)")
            }
            let types = Self.parameterTypes(section)
            let arguments = types.enumerated().map { i, t in "*(\(t)*)p[\(i)]" }.joined(separator: ", ")
            let launch = Self.threadsWait(section) ? "th_launch" : "th_launch_serial"
            wrappers.append("""
            static void th_body_\(name)(void* a) { void** p = a; \(name)(\(arguments)); }
            int th_launch_\(name)(unsigned grid, unsigned block, void** params) { return \(launch)(grid, block, th_body_\(name), params); }
            """)
        }
        // Through the C backend's kernel cache: a unit compiled once (by any process) loads
        // from disk afterwards, so a test suite run through the emulator compiles each distinct
        // unit once.
        let text = Self.prelude + unit + "\n" + wrappers.joined(separator: "\n")
        var compiled = false
        do {
            library = try KernelCache().library(source: text, compiler: compiler.with(flags: Self.compilerFlags), compiled: &compiled)
        } catch let error as TheanoError {
            throw TheanoError.unsupported("CUDA emulator: the kernels did not compile as C: \(error.message)")
        }
    }

    /// The launcher of kernel `name` (a `@convention(c) (UInt32, UInt32, UnsafePointer<
    /// UnsafeMutableRawPointer?>?) -> Void`: grid, block, parameter pointers).
    func launcher(_ name: String) throws -> UnsafeMutableRawPointer {
        guard let symbol = try? library.symbol("th_launch_\(name)") else { throw TheanoError.invalidArgument("CUDA emulator: no kernel \(name)") }
        return symbol
    }

    /// Launches kernel `name` with one pointer per parameter to its value.
    public func launch(_ name: String, grid: UInt32, block: UInt32, _ parameters: [UnsafeMutableRawPointer?]) throws {
        let launch = unsafeBitCast(try launcher(name), to: Launch.self)
        let failed = parameters.withUnsafeBufferPointer { launch(grid, block, $0.baseAddress) }
        if failed != 0 { throw Self.outOfMemory(name, block: block) }
    }

    /// The error of a launch whose fibers' stacks could not be allocated.
    static func outOfMemory(_ kernel: String, block: UInt32) -> TheanoError {
        .outOfMemory("CUDA emulator: cannot allocate the stacks of \(block) threads (\(Int(block) * 64) KiB) to run \(kernel)")
    }

    /// How units are compiled: unoptimised, which compiles several times faster than the C
    /// backend's `-O2 -march=native` (a test suite run through the emulator compiles hundreds
    /// of units for arrays of a few elements) and never contracts `a * b + c` into a fused
    /// multiply-add, so the kernels round as the reference does.
    static let compilerFlags = ["-O0", "-fPIC", "-shared", "-fno-math-errno", "-std=gnu11", "-w"]

    /// Each kernel of `unit` by name: the text after `TH_KERNEL void name(` up to the next
    /// kernel (its parameter list, then its body). One pass over the unit's bytes.
    static func kernelSections(_ unit: String) -> [String: Substring] {
        var sections: [String: Substring] = [:]
        let pieces = unit.split(separator: "TH_KERNEL void ", omittingEmptySubsequences: false).dropFirst()
        for piece in pieces {
            guard let open = piece.firstIndex(of: "(") else { continue }
            sections[String(piece[..<open])] = piece[piece.index(after: open)...]
        }
        return sections
    }

    /// Whether a kernel's threads wait for each other (`__syncthreads`, warp shuffles), so that
    /// each needs a fiber with its own stack. Kernels whose threads are independent (the
    /// elementwise ones) run every thread in turn, a valid schedule for them and cheaper.
    static func threadsWait(_ section: Substring) -> Bool {
        section.contains("__syncthreads") || section.contains("__shfl")
    }

    /// The C types of a kernel's parameters, from its section (``kernelSections(_:)``).
    static func parameterTypes(_ section: Substring) -> [String] {
        let list = section[..<(section.firstIndex(of: ")") ?? section.endIndex)]
        return list.split(separator: ",").map { parameter in
            var words = parameter.replacing("__restrict__", with: " ")
                .replacing("*", with: " * ").split(whereSeparator: \.isWhitespace).map(String.init)
            if words.count > 1 { words.removeLast() }  // the parameter's name
            return words.joined(separator: " ")
        }
    }

    /// Runs elementwise kernel `name` on `inputs` (any strides; broadcast along axes of size 1
    /// by stride 0) into new C-contiguous outputs of `outputTypes`, as a launch of `grid`
    /// blocks of `block` threads would on a device. Returns the outputs and the kernel's error
    /// word (`TH_ERR_INT_POW` after a negative integer exponent, else 0).
    public func elementwise(_ name: String, inputs: [NDArray], outputTypes: [DType], grid: UInt32 = 3, block: UInt32 = 32) throws -> (outputs: [NDArray], error: Int32) {
        let shape = try broadcastShape(inputs)
        let outputs = try outputTypes.map { try NDArray(allocating: shape, dtype: $0, zeroed: true, context: "CUDA emulator") }
        var strides = inputs.flatMap { operandStrides($0, rank: shape.count, order: Array(0..<shape.count)) }
        let dense = contiguousStrides(shape).map { Int64($0) }
        for _ in outputs { strides += dense }
        let contiguous = inputs.allSatisfy { $0.shape == shape && $0.isContiguous }
        let extent = try self.extent(shape, contiguous: contiguous)
        let operands = inputs + outputs
        let data: [UnsafeMutableRawPointer?] = operands.map { $0.storage.baseAddress + $0.offset * $0.dtype.byteSize }
        let pack = KernelParameters()
        let errorWord = try pack.buffer(of: Int32.self, count: 1)
        try withExtendedLifetime(operands) {
            try launch(name, grid: grid, block: block, [
                try pack.bytes(of: extent), try pack.value(try pack.array(strides)), try pack.value(try pack.array(data)), try pack.value(errorWord),
            ])
        }
        let error = errorWord.pointee
        return (outputs, error)
    }

    /// Runs reduction `name` (``CUDAReductionSource/reduction(_:kind:name:)`` of `kind`, whose
    /// program reads `inputs` and computes values of `element`) over `axes` of the inputs'
    /// broadcast shape, each output's elements split into `parts` blocks, then the finishing
    /// kernel. Returns the reduced array (the kept axes, in order) and the error word.
    public func reduce(_ name: String, kind: ReduceKind, element: DType, inputs: [NDArray], axes: [Int], parts: Int = 1,
                       grid: UInt32 = 4, block: UInt32 = 64) throws -> (output: NDArray, error: Int32) {
        let shape = try broadcastShape(inputs)
        let kept = shape.indices.filter { !axes.contains($0) }
        let order = kept + axes
        let permuted = order.map { shape[$0] }
        let strides = inputs.flatMap { operandStrides($0, rank: shape.count, order: order) }
        let outer = try checkedProduct(kept.map { shape[$0] }, context: "CUDA emulator: kept axes")
        let bytes = CUDAReductionSource.accumulatorBytes(kind, element: element)
        let pack = KernelParameters()
        let partials = try pack.buffer(of: UInt8.self, count: Swift.max(try checkedProduct([outer, parts, bytes], context: "CUDA emulator: partial results"), 1))
        let output = try NDArray(allocating: kept.map { shape[$0] }, dtype: kind.outputDType(for: element), zeroed: true, context: "CUDA emulator")
        let extent = try self.extent(permuted, contiguous: false)
        let data: [UnsafeMutableRawPointer?] = inputs.map { $0.storage.baseAddress + $0.offset * $0.dtype.byteSize }
        let errorWord = try pack.buffer(of: Int32.self, count: 1)
        let out = output.storage.baseAddress + output.offset * output.dtype.byteSize
        try withExtendedLifetime((inputs, output)) {
            try launch(name + "_partial", grid: grid, block: block, [
                try pack.bytes(of: extent), try pack.value(Int64(axes.count)), try pack.value(Int64(parts)), try pack.value(try pack.array(strides)),
                try pack.value(try pack.array(data)), try pack.value(UnsafeMutableRawPointer(partials)), try pack.value(errorWord),
            ])
            try launch(name + "_finish", grid: 2, block: 32, [
                try pack.value(Int64(outer)), try pack.value(Int64(parts)), try pack.value(UnsafeMutableRawPointer(partials)), try pack.value(out),
            ])
        }
        let error = errorWord.pointee
        return (output, error)
    }

    /// The broadcast shape of `inputs` (lower ranks gain leading axes of size 1).
    private func broadcastShape(_ inputs: [NDArray]) throws -> [Int] {
        let rank = inputs.map(\.rank).max() ?? 0
        guard rank <= CUDAKernelSource.maxDimensions else {
            throw TheanoError.unsupported("CUDA emulator: \(rank) axes; kernels take at most \(CUDAKernelSource.maxDimensions)")
        }
        var shape = Array(repeating: 1, count: rank)
        for x in inputs {
            for (d, size) in x.shape.enumerated() where size != 1 {
                let axis = rank - x.rank + d
                guard shape[axis] == 1 || shape[axis] == size else {
                    throw TheanoError.shapeMismatch("CUDA emulator: shapes \(inputs.map { formatShape($0.shape) }) do not broadcast")
                }
                shape[axis] = size
            }
        }
        return shape
    }

    /// `x`'s strides over the broadcast shape's axes taken in `order` (0 where it broadcasts).
    private func operandStrides(_ x: NDArray, rank: Int, order: [Int]) -> [Int64] {
        order.map { axis in
            let d = axis - (rank - x.rank)
            return d < 0 || x.shape[d] == 1 ? 0 : Int64(x.strides[d])
        }
    }

    /// A `th_cuda_extent`: element count, rank, contiguity, then the shape padded to
    /// ``CUDAKernelSource/maxDimensions``.
    private func extent(_ shape: [Int], contiguous: Bool) throws -> [Int64] {
        [Int64(try checkedShapeSize(shape, context: "CUDA emulator")), Int64(shape.count), contiguous ? 1 : 0] + shape.map { Int64($0) }
            + Array(repeating: 0, count: CUDAKernelSource.maxDimensions - shape.count)
    }

    private static let prelude = """
    /* CUDA emulated on the CPU: built-ins as thread-local variables, one OS thread per CUDA
       thread, blocks one after another. */
    #include <math.h>
    #include <string.h>
    #include <pthread.h>
    #include <ucontext.h>
    /* Declared here: <stdlib.h> would define int64_t as long, which the CUDA preamble defines
       as long long (as NVRTC's headers do). */
    void* malloc(__SIZE_TYPE__ size);
    void free(void* pointer);
    typedef struct { unsigned int x, y, z; } th_dim3;
    static __thread th_dim3 threadIdx, blockIdx, blockDim, gridDim;
    #define __global__
    #define __device__
    #define __forceinline__ inline
    #define __restrict__ __restrict
    #define __align__(n) __attribute__((aligned(n)))
    #define __shared__ static
    #define TH_KERNEL
    static inline float __int_as_float(int i) { float f; memcpy(&f, &i, sizeof f); return f; }
    static inline int atomicOr(int* p, int v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }
    /* Atomic adds of the scatter kernels (C has no overloads: one name per type). */
    #define TH_ATOMIC_ADD
    static inline void th_atomic_add_f32(float* p, float v) { *p += v; }
    static inline void th_atomic_add_f64(double* p, double v) { *p += v; }
    static inline void th_atomic_add_i32(int* p, int v) { __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
    static inline void th_atomic_add_i64(long long* p, long long v) { __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
    /* The high word of a 64-bit product (CUDA's __umul64hi). */
    #define TH_MULHI64
    static inline unsigned long long th_mulhi64(unsigned long long a, unsigned long long b) {
        return (unsigned long long)(((unsigned __int128)a * b) >> 64);
    }

    /* The CUDA threads of a block are fibers (ucontext) of the calling OS thread: a barrier
       hands control back to the launch's scheduler, which runs every fiber of the block up to
       the barrier before resuming any past it. */
    static ucontext_t th_scheduler;
    static ucontext_t* th_fibers;
    static unsigned char* th_fiber_done;
    static unsigned th_running;
    static void (*th_fiber_body)(void*);
    static void* th_fiber_args;
    static void th_yield(void) { swapcontext(&th_fibers[th_running], &th_scheduler); }
    #define __syncthreads() th_yield()

    /* A warp shuffle: every thread of the block publishes its value, then reads its partner's. */
    static unsigned long long th_exchange[1024];
    #define TH_SHUFFLE(NAME, T) \\
    static inline T NAME(unsigned mask, T v, int delta) { \\
        (void)mask; \\
        unsigned t = threadIdx.x; \\
        memcpy(&th_exchange[t], &v, sizeof v); \\
        __syncthreads(); \\
        T r = v; \\
        if ((t & 31u) + (unsigned)delta < 32u && t + (unsigned)delta < blockDim.x) memcpy(&r, &th_exchange[t + delta], sizeof r); \\
        __syncthreads(); \\
        return r; \\
    }
    TH_SHUFFLE(th_shuffle_d, double)
    TH_SHUFFLE(th_shuffle_f, float)
    TH_SHUFFLE(th_shuffle_i, int)
    TH_SHUFFLE(th_shuffle_u, unsigned)
    TH_SHUFFLE(th_shuffle_ll, long long)
    TH_SHUFFLE(th_shuffle_ull, unsigned long long)
    #define __shfl_down_sync(mask, v, delta) _Generic((v), double: th_shuffle_d, float: th_shuffle_f, int: th_shuffle_i, \\
        unsigned: th_shuffle_u, long long: th_shuffle_ll, unsigned long long: th_shuffle_ull)(mask, v, delta)

    static void th_fiber_main(void) {
        th_fiber_body(th_fiber_args);
        th_fiber_done[th_running] = 1;
    }
    /* One launch at a time per loaded unit: its scheduler, shared memory and exchange array
       are static, and two emulated devices loading the same cached unit share them. */
    static pthread_mutex_t th_launch_lock = PTHREAD_MUTEX_INITIALIZER;
    enum { TH_FIBER_STACK = 1 << 16 };
    /* Returns 0, or 1 when the fibers' stacks cannot be allocated (nothing ran). */
    static int th_launch(unsigned grid, unsigned block, void (*body)(void*), void* args) {
        if (block > 1024) block = 1024;
        ucontext_t* fibers = malloc(block * sizeof *fibers);
        unsigned char* stacks = malloc((size_t)block * TH_FIBER_STACK);
        unsigned char* done = malloc(block);
        if (!fibers || !stacks || !done) { free(fibers); free(stacks); free(done); return 1; }
        pthread_mutex_lock(&th_launch_lock);
        th_fibers = fibers; th_fiber_done = done; th_fiber_body = body; th_fiber_args = args;
        blockDim.x = block; blockDim.y = 1; blockDim.z = 1;
        gridDim.x = grid; gridDim.y = 1; gridDim.z = 1;
        for (unsigned b = 0; b < grid; b++) {
            blockIdx.x = b; blockIdx.y = 0; blockIdx.z = 0;
            for (unsigned t = 0; t < block; t++) {
                getcontext(&fibers[t]);
                fibers[t].uc_stack.ss_sp = stacks + (size_t)t * TH_FIBER_STACK;
                fibers[t].uc_stack.ss_size = TH_FIBER_STACK;
                fibers[t].uc_link = &th_scheduler;
                makecontext(&fibers[t], th_fiber_main, 0);
                done[t] = 0;
            }
            for (unsigned remaining = block; remaining > 0;) {
                for (unsigned t = 0; t < block; t++) {
                    if (done[t]) continue;
                    th_running = t;
                    threadIdx.x = t; threadIdx.y = 0; threadIdx.z = 0;
                    swapcontext(&th_scheduler, &fibers[t]);
                    if (done[t]) remaining--;
                }
            }
        }
        pthread_mutex_unlock(&th_launch_lock);
        free(fibers); free(stacks); free(done);
        return 0;
    }
    /* For kernels whose threads never wait for each other: every thread in turn. */
    static int th_launch_serial(unsigned grid, unsigned block, void (*body)(void*), void* args) {
        if (block > 1024) block = 1024;
        pthread_mutex_lock(&th_launch_lock);
        blockDim.x = block; blockDim.y = 1; blockDim.z = 1;
        gridDim.x = grid; gridDim.y = 1; gridDim.z = 1;
        for (unsigned b = 0; b < grid; b++) {
            blockIdx.x = b; blockIdx.y = 0; blockIdx.z = 0;
            for (unsigned t = 0; t < block; t++) {
                threadIdx.x = t; threadIdx.y = 0; threadIdx.z = 0;
                body(args);
            }
        }
        pthread_mutex_unlock(&th_launch_lock);
        return 0;
    }

    """
}

/// Kernel parameters packed for a launch: each value copied into memory this object owns
/// (freed with it), so a launch gets one stable pointer per parameter.
final class KernelParameters {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { for b in blocks { free(b) } }

    private func keep(_ bytes: Int) throws -> UnsafeMutableRawPointer {
        guard bytes >= 0, bytes <= Int.max - 63, let p = aligned_alloc(64, Swift.max((bytes + 63) / 64 * 64, 64)) else {
            throw TheanoError.outOfMemory("CUDA emulator: cannot allocate \(bytes) bytes of kernel parameters")
        }
        memset(p, 0, Swift.max(bytes, 1))
        blocks.append(p)
        return p
    }

    /// A pointer to a copy of `value`.
    func value<T>(_ value: T) throws -> UnsafeMutableRawPointer {
        let p = try keep(MemoryLayout<T>.stride)
        p.storeBytes(of: value, as: T.self)
        return p
    }

    /// A pointer to a copy of `values`' elements, one after another (a C array or struct of
    /// equal fields).
    func bytes<T>(of values: [T]) throws -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(try array(values)) }

    /// A copy of `values` in owned memory, as a typed pointer.
    func array<T>(_ values: [T]) throws -> UnsafeMutablePointer<T> {
        let p = try keep(MemoryLayout<T>.stride * Swift.max(values.count, 1)).bindMemory(to: T.self, capacity: Swift.max(values.count, 1))
        for (i, v) in values.enumerated() { (p + i).initialize(to: v) }
        return p
    }

    /// Zeroed owned memory for `count` values of `T`.
    func buffer<T>(of _: T.Type, count: Int) throws -> UnsafeMutablePointer<T> {
        try keep(MemoryLayout<T>.stride * Swift.max(count, 1)).bindMemory(to: T.self, capacity: Swift.max(count, 1))
    }
}
