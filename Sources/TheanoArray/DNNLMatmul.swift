import CDNNL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// float32 products `C = alpha A Bᵀ + beta C` (row-major, `B` read transposed) through oneDNN's
/// matmul primitive.
///
/// `dnnl_sgemm` runs this form well below its speed on the other forms: 0.54-0.56 ms for the
/// MLP's `dX = dY Wᵀ` (128x512x512) against 0.32 ms for the same product untransposed, and
/// 11-13 µs against 8 µs for an RNN step's 32x128x128 (2 cores, AVX-512). The matmul
/// primitive (oneDNN's batch-reduce GEMM kernels) reads the transposed operand through its
/// strides and runs it in 0.32 ms and 8 µs. The other forms stay on `dnnl_sgemm`, which is as
/// fast there (docs/DNNL.md).
///
/// A primitive is built once per geometry (sizes, leading dimensions, `alpha`, `beta`) and
/// kept; `alpha` is the primitive's output scale and `beta` a sum post-op (`C` is not read when
/// `beta` is 0). Each primitive has its own stream, memory objects and scratchpad, made once,
/// and one execution at a time runs it.
final class DNNLMatmulPrimitives: @unchecked Sendable {
    /// The process's matmul primitives; nil when oneDNN cannot create a CPU engine.
    static let shared: DNNLMatmulPrimitives? = DNNLMatmulPrimitives()

    /// At most this many geometries are kept; a program with more starts the cache afresh.
    static let capacity = 256

    struct Geometry: Hashable {
        var m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
        var alpha: Float, beta: Float
    }

    private let engine: dnnl_engine_t
    private let primitives = Mutex<[Geometry: MatmulPrimitive]>([:])

    private init?() {
        var engine: dnnl_engine_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else { return nil }
        self.engine = engine
    }

    /// Computes `C = alpha A Bᵀ + beta C` for `A` `[m, k]` (leading dimension `lda`), `B`
    /// `[n, k]` (`ldb`) and `C` `[m, n]` (`ldc`). Returns false, having written nothing, when
    /// oneDNN has no primitive for the geometry; the caller then uses another GEMM.
    func multiplyTransposed(
        m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        let geometry = Geometry(m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, alpha: alpha, beta: beta)
        guard let primitive = primitive(geometry) else { return false }
        return primitive.run(a: UnsafeMutableRawPointer(mutating: a), b: UnsafeMutableRawPointer(mutating: b),
                             c: UnsafeMutableRawPointer(c))
    }

    private func primitive(_ geometry: Geometry) -> MatmulPrimitive? {
        if let hit = primitives.withLock({ $0[geometry] }) { return hit }
        guard let built = MatmulPrimitive(engine: engine, geometry) else { return nil }
        return primitives.withLock { table in
            if let other = table[geometry] { return other }
            if table.count >= Self.capacity { table.removeAll() }
            table[geometry] = built
            return built
        }
    }
}

/// One matmul primitive with everything a run needs made once: its stream, memory objects for
/// the three operands (pointed at the caller's buffers on each run) and its scratchpad.
private final class MatmulPrimitive: @unchecked Sendable {
    private let descriptor: dnnl_primitive_desc_t
    private let primitive: dnnl_primitive_t
    private let stream: dnnl_stream_t
    /// The memory objects of A, B and C, then the scratchpad's when there is one.
    private let memories: [dnnl_memory_t]
    private let arguments: [dnnl_exec_arg_t]
    /// The scratchpad's buffer (nil when the primitive needs none).
    private let scratch: UnsafeMutableRawPointer?
    /// Held for each run: the memory objects, the stream and the scratchpad serve one
    /// execution at a time.
    private let execution = Mutex(())

    init?(engine: dnnl_engine_t, _ g: DNNLMatmulPrimitives.Geometry) {
        var a = dnnl_memory_desc_t(), b = dnnl_memory_desc_t(), c = dnnl_memory_desc_t()
        var aDims: [dnnl_dim_t] = [dnnl_dim_t(g.m), dnnl_dim_t(g.k)], aStrides: [dnnl_dim_t] = [dnnl_dim_t(g.lda), 1]
        // B is stored [n, k]: as the [k, n] operand, its row stride is 1 and its column
        // stride the leading dimension.
        var bDims: [dnnl_dim_t] = [dnnl_dim_t(g.k), dnnl_dim_t(g.n)], bStrides: [dnnl_dim_t] = [1, dnnl_dim_t(g.ldb)]
        var cDims: [dnnl_dim_t] = [dnnl_dim_t(g.m), dnnl_dim_t(g.n)], cStrides: [dnnl_dim_t] = [dnnl_dim_t(g.ldc), 1]
        guard dnnl_memory_desc_init_by_strides(&a, 2, &aDims, dnnl_f32, &aStrides) == dnnl_success,
              dnnl_memory_desc_init_by_strides(&b, 2, &bDims, dnnl_f32, &bStrides) == dnnl_success,
              dnnl_memory_desc_init_by_strides(&c, 2, &cDims, dnnl_f32, &cStrides) == dnnl_success else { return nil }
        var description = dnnl_matmul_desc_t()
        guard dnnl_matmul_desc_init(&description, &a, &b, nil, &c) == dnnl_success else { return nil }
        var attributes: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attributes) == dnnl_success, let attributes else { return nil }
        defer { dnnl_primitive_attr_destroy(attributes) }
        guard dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user) == dnnl_success else { return nil }
        if g.alpha != 1 {
            var alpha = g.alpha
            guard dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &alpha) == dnnl_success else { return nil }
        }
        if g.beta != 0 {
            var postOps: dnnl_post_ops_t?
            guard dnnl_post_ops_create(&postOps) == dnnl_success, let postOps else { return nil }
            defer { dnnl_post_ops_destroy(postOps) }
            guard dnnl_post_ops_append_sum(postOps, g.beta) == dnnl_success,
                  dnnl_primitive_attr_set_post_ops(attributes, postOps) == dnnl_success else { return nil }
        }

        // What is created from here on is destroyed again unless the whole primitive is.
        var pd: dnnl_primitive_desc_t?, prim: dnnl_primitive_t?, stream: dnnl_stream_t?
        var memories: [dnnl_memory_t] = [], buffer: UnsafeMutableRawPointer?
        var complete = false
        defer {
            if !complete {
                for m in memories { dnnl_memory_destroy(m) }
                if let stream { dnnl_stream_destroy(stream) }
                if let prim { dnnl_primitive_destroy(prim) }
                if let pd { dnnl_primitive_desc_destroy(pd) }
                free(buffer)
            }
        }
        guard dnnl_primitive_desc_create(&pd, &description, attributes, engine, nil) == dnnl_success, let pd,
              dnnl_primitive_create(&prim, pd) == dnnl_success, let prim,
              dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream else { return nil }
        var scratchpad = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)?.pointee ?? dnnl_memory_desc_t()
        let bytes = dnnl_memory_desc_get_size(&scratchpad)
        if bytes > 0 {
            guard bytes <= Int.max - 63, let fresh = aligned_alloc(64, (bytes + 63) / 64 * 64) else { return nil }
            buffer = fresh
        }
        // The operands' memory objects start without a buffer (each run sets it).
        for (desc, pointer) in [(a, nil), (b, nil), (c, nil)] + (buffer.map { [(scratchpad, $0)] } ?? []) {
            var d = desc
            var m: dnnl_memory_t?
            guard dnnl_memory_create(&m, &d, engine, pointer) == dnnl_success, let m else { return nil }
            memories.append(m)
        }
        var arguments = [
            dnnl_exec_arg_t(arg: cdnnl_arg_src, memory: memories[0]),
            dnnl_exec_arg_t(arg: cdnnl_arg_weights, memory: memories[1]),
            dnnl_exec_arg_t(arg: cdnnl_arg_dst, memory: memories[2]),
        ]
        if memories.count > 3 { arguments.append(dnnl_exec_arg_t(arg: cdnnl_arg_scratchpad, memory: memories[3])) }
        descriptor = pd
        primitive = prim
        self.stream = stream
        self.memories = memories
        self.arguments = arguments
        scratch = buffer
        complete = true
    }

    deinit {
        for m in memories { dnnl_memory_destroy(m) }
        dnnl_stream_destroy(stream)
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
        free(scratch)
    }

    /// Runs the product on the caller's buffers; false when oneDNN refuses a buffer before
    /// anything is written.
    func run(a pa: UnsafeMutableRawPointer, b pb: UnsafeMutableRawPointer, c pc: UnsafeMutableRawPointer) -> Bool {
        execution.withLock { _ in
            guard dnnl_memory_set_data_handle(memories[0], pa) == dnnl_success,
                  dnnl_memory_set_data_handle(memories[1], pb) == dnnl_success,
                  dnnl_memory_set_data_handle(memories[2], pc) == dnnl_success else { return false }
            // Once execution starts, C may be partly written: a failure here cannot fall back,
            // and oneDNN reports none for valid arguments on the CPU.
            _ = dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments)
            _ = dnnl_stream_wait(stream)
            return true
        }
    }
}
