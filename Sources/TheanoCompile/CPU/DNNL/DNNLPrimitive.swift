import CDNNL
import Foundation
import Synchronization
import TheanoArray

/// What a cached primitive computes: the operation and its full geometry.
enum DNNLPrimitiveKey: Hashable, Sendable {
    case convolutionForward(DNNLConvGeometry, bias: Bool, relu: Bool, layout: DNNLLayout)
    case convolutionBackwardData(DNNLConvGeometry, layout: DNNLLayout)
    case convolutionBackwardWeights(DNNLConvGeometry, bias: Bool, layout: DNNLLayout)
    case poolingForward(DNNLPoolGeometry, training: Bool)
    case poolingBackward(DNNLPoolGeometry)
    case batchNormalizationForward(DNNLBatchNormGeometry, training: Bool)
    case batchNormalizationBackward(DNNLBatchNormGeometry)
}

/// One argument of a primitive as its callers lay it out: a plain (row-major) float32 array.
struct DNNLArgument {
    /// oneDNN's argument index (`cdnnl_arg_src`, ...).
    var index: Int32
    /// The caller's layout.
    var user: dnnl_memory_desc_t
    /// Whether the primitive writes it.
    var isOutput: Bool
    /// What to ask the primitive descriptor for this argument's layout (`dnnl_query_src_md`,
    /// ...), and which of several (the bias is weights number 1); nil when the primitive was
    /// described with the caller's layout and uses it as is.
    var query: dnnl_query_t? = nil
    var queryIndex: Int32 = 0
}

/// A created oneDNN primitive with its descriptor, and the reorders between the callers'
/// plain layouts and the layouts the primitive chose (when it was created with format `any`).
/// Immutable; destroyed with the cache that owns it.
final class DNNLPrimitive: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    /// The arguments, each with the layout the primitive reads or writes, and the reorder
    /// from (inputs) or to (outputs) the caller's layout when they differ.
    private let arguments: [(argument: DNNLArgument, inner: dnnl_memory_desc_t, reorder: DNNLReorder?)]
    /// The workspace, when the primitive has one: `(layout, bytes)`.
    let workspace: (desc: dnnl_memory_desc_t, bytes: Int)?
    /// The buffers of the reordered arguments, one per argument (nil for an argument used in
    /// the caller's layout), allocated on the first run and kept: the step that reordered a
    /// LeNet gradient into a new 4.7 MB buffer each call spent most of its time faulting the
    /// fresh pages in (1.7 ms against 0.4 ms for the same reorder into a reused buffer). The
    /// lock is held for a whole run, so two threads running the same primitive take turns.
    private let scratch: Mutex<DNNLScratch>

    /// Creates the primitive of `opDesc` (a `dnnl_*_desc_t`) on `context`'s engine.
    ///
    /// - Parameters:
    ///   - hint: the forward primitive descriptor a backward primitive needs, if any.
    ///   - arguments: the arguments in the callers' layouts; each is matched with the
    ///     layout the descriptor reports for its query.
    init(_ context: DNNLContext, opDesc: UnsafeRawPointer, attributes: dnnl_primitive_attr_t? = nil,
         hint: dnnl_primitive_desc_t? = nil, arguments: [DNNLArgument], what: String) throws {
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pd, opDesc, attributes, context.engine, hint), "creating the \(what) descriptor")
        guard let pd else { throw TheanoError.unsupported("oneDNN: no \(what) descriptor") }
        do {
            var prim: dnnl_primitive_t?
            try dnnlCheck(dnnl_primitive_create(&prim, pd), "creating the \(what) primitive")
            var args: [(DNNLArgument, dnnl_memory_desc_t, DNNLReorder?)] = []
            for argument in arguments {
                guard let query = argument.query else {
                    args.append((argument, argument.user, nil))
                    continue
                }
                guard let md = dnnl_primitive_desc_query_md(pd, query, argument.queryIndex)?.pointee else {
                    throw TheanoError.unsupported("oneDNN: the \(what) descriptor has no layout for argument \(argument.index)")
                }
                var user = argument.user
                var inner = md
                let reorder = dnnl_memory_desc_equal(&user, &inner) != 0 ? nil
                    : try (argument.isOutput ? DNNLReorder(context, from: inner, to: user) : DNNLReorder(context, from: user, to: inner))
                args.append((argument, inner, reorder))
            }
            if let ws = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0)?.pointee {
                var copy = ws
                let bytes = dnnl_memory_desc_get_size(&copy)
                workspace = bytes > 0 ? (ws, bytes) : nil
            } else {
                workspace = nil
            }
            self.descriptor = pd
            self.primitive = prim!
            self.arguments = args
            self.scratch = Mutex(DNNLScratch(buffers: Array(repeating: nil, count: args.count)))
        } catch {
            dnnl_primitive_desc_destroy(pd)
            throw error
        }
    }

    deinit {
        scratch.withLock { scratch in for case let b? in scratch.buffers { free(b) } }
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// Runs the primitive on the callers' buffers, by argument index (the workspace under
    /// `cdnnl_arg_workspace`). Arguments in a layout the primitive does not use go through a
    /// temporary buffer and a reorder.
    func run(_ context: DNNLContext, _ buffers: [Int32: UnsafeMutableRawPointer]) throws {
        try scratch.withLock { scratch in try run(context, buffers, scratch: &scratch) }
    }

    private func run(_ context: DNNLContext, _ buffers: [Int32: UnsafeMutableRawPointer],
                     scratch: inout DNNLScratch) throws {
        var memories: [dnnl_memory_t] = []
        defer { for m in memories { dnnl_memory_destroy(m) } }
        func memory(_ desc: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer) throws -> dnnl_memory_t {
            var d = desc
            var m: dnnl_memory_t?
            try dnnlCheck(dnnl_memory_create(&m, &d, context.engine, pointer), "wrapping a buffer")
            memories.append(m!)
            return m!
        }
        var execArgs: [dnnl_exec_arg_t] = []
        var afterwards: [(DNNLReorder, dnnl_memory_t, dnnl_memory_t)] = []
        for (position, (argument, inner, reorder)) in arguments.enumerated() {
            guard let pointer = buffers[argument.index] else {
                throw TheanoError.invalidArgument("oneDNN: missing argument \(argument.index)")
            }
            let userMemory = try memory(argument.user, pointer)
            guard let reorder else {
                execArgs.append(dnnl_exec_arg_t(arg: argument.index, memory: userMemory))
                continue
            }
            let temporary: UnsafeMutableRawPointer
            if let kept = scratch.buffers[position] {
                temporary = kept
            } else {
                var d = inner
                let bytes = max(dnnl_memory_desc_get_size(&d), 1)
                guard bytes <= Int.max - 63, let fresh = aligned_alloc(64, (bytes + 63) / 64 * 64) else {
                    throw TheanoError.outOfMemory("oneDNN: cannot allocate \(bytes) bytes for a reordered argument")
                }
                scratch.buffers[position] = fresh
                temporary = fresh
            }
            let innerMemory = try memory(inner, temporary)
            execArgs.append(dnnl_exec_arg_t(arg: argument.index, memory: innerMemory))
            if argument.isOutput {
                afterwards.append((reorder, innerMemory, userMemory))
            } else {
                try reorder.run(context, from: userMemory, to: innerMemory)
            }
        }
        if let workspace {
            guard let pointer = buffers[cdnnl_arg_workspace] else {
                throw TheanoError.invalidArgument("oneDNN: missing the workspace")
            }
            execArgs.append(dnnl_exec_arg_t(arg: cdnnl_arg_workspace, memory: try memory(workspace.desc, pointer)))
        }
        try context.execute(primitive, execArgs)
        for (reorder, from, to) in afterwards { try reorder.run(context, from: from, to: to) }
    }
}

/// The buffers a primitive keeps for its reordered arguments (see ``DNNLPrimitive``); only
/// touched under the primitive's lock.
struct DNNLScratch: @unchecked Sendable {
    var buffers: [UnsafeMutableRawPointer?]
}

/// A reorder primitive between two layouts of the same array.
final class DNNLReorder: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    init(_ context: DNNLContext, from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) throws {
        var (f, t) = (from, to)
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &f, context.engine, &t, context.engine, nil), "creating a reorder")
        var prim: dnnl_primitive_t?
        let status = dnnl_primitive_create(&prim, pd)
        guard status == dnnl_success, let prim else {
            dnnl_primitive_desc_destroy(pd)
            try dnnlCheck(status, "creating a reorder primitive")
            throw TheanoError.unsupported("oneDNN: no reorder primitive")
        }
        descriptor = pd!
        primitive = prim
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    func run(_ context: DNNLContext, from: dnnl_memory_t, to: dnnl_memory_t) throws {
        try context.execute(primitive, [
            dnnl_exec_arg_t(arg: cdnnl_arg_from, memory: from), dnnl_exec_arg_t(arg: cdnnl_arg_to, memory: to),
        ])
    }
}

/// A plain float32 layout of `dims` (row-major: `nchw`, `oihw`, `goihw`, `x`, ...), or the
/// layout left to the primitive (`any`) when `tag` is `dnnl_format_tag_any`.
func dnnlDesc(_ dims: [Int], _ tag: dnnl_format_tag_t = dnnl_format_tag_undef) throws -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let d = dims.map { dnnl_dim_t($0) }
    let chosen = tag == dnnl_format_tag_undef ? plainTag(rank: dims.count) : tag
    try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), d, dnnl_f32, chosen), "describing an array of shape \(formatShape(dims))")
    return md
}

/// The row-major format tag of a rank (`a`, `ab`, ..., `abcdef`).
private func plainTag(rank: Int) -> dnnl_format_tag_t {
    switch rank {
    case 1: dnnl_a
    case 2: dnnl_ab
    case 3: dnnl_abc
    case 4: dnnl_abcd
    case 5: dnnl_abcde
    default: dnnl_abcdef
    }
}
