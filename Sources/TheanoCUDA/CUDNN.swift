import Foundation
import TheanoArray

/// cuDNN's convolutions, loaded with `dlopen` when a device first needs them: one handle per
/// device, its work queued on the device's stream. For each geometry (``ConvolutionCall``
/// without its addresses) the algorithm is cuDNN's first heuristic choice that succeeds
/// without tensor-core math (so float32 results are full float32 products, as cuBLAS's and
/// the reference's are), remembered with its workspace size.
///
/// Verified on a GPU machine only; the emulator runs the same calls by cuDNN's definition
/// (``ConvolutionCall/runOnHost()``).
final class CUDNN: @unchecked Sendable {
    private typealias Status = Int32
    private typealias Handle = OpaquePointer?
    private typealias Create = @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Status
    private typealias Destroy = @convention(c) (OpaquePointer?) -> Status
    private typealias SetStream = @convention(c) (Handle, OpaquePointer?) -> Status
    private typealias GetVersion = @convention(c) () -> Int
    private typealias ErrorString = @convention(c) (Status) -> UnsafePointer<CChar>?
    private typealias SetTensor = @convention(c) (OpaquePointer?, Int32, Int32, UnsafePointer<Int32>, UnsafePointer<Int32>) -> Status
    private typealias SetFilter = @convention(c) (OpaquePointer?, Int32, Int32, Int32, UnsafePointer<Int32>) -> Status
    private typealias SetConvolution = @convention(c) (OpaquePointer?, Int32, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, Int32, Int32) -> Status
    private typealias SetInt = @convention(c) (OpaquePointer?, Int32) -> Status
    /// `cudnnGet*Algorithm_v7(handle, a, b, conv, c, requested, &returned, perf)`.
    private typealias Heuristics = @convention(c) (Handle, OpaquePointer?, OpaquePointer?, OpaquePointer?, OpaquePointer?, Int32,
                                                   UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer) -> Status
    /// `cudnnGet*WorkspaceSize(handle, a, b, conv, c, algo, &bytes)`.
    private typealias WorkspaceSize = @convention(c) (Handle, OpaquePointer?, OpaquePointer?, OpaquePointer?, OpaquePointer?, Int32,
                                                      UnsafeMutablePointer<Int>) -> Status
    /// `cudnnConvolution*(handle, alpha, aDesc, a, bDesc, b, conv, algo, workspace, bytes, beta, cDesc, c)`.
    private typealias Run = @convention(c) (Handle, UnsafeRawPointer, OpaquePointer?, UInt64, OpaquePointer?, UInt64, OpaquePointer?, Int32,
                                            UInt64, Int, UnsafeRawPointer, OpaquePointer?, UInt64) -> Status

    /// `cudnnSetPoolingNdDescriptor(desc, mode, nanOption, nbDims, window, padding, stride)`.
    private typealias SetPooling = @convention(c) (OpaquePointer?, Int32, Int32, Int32, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>) -> Status
    /// `cudnnPoolingForward(handle, desc, alpha, xDesc, x, beta, yDesc, y)`.
    private typealias PoolingForward = @convention(c) (Handle, OpaquePointer?, UnsafeRawPointer, OpaquePointer?, UInt64, UnsafeRawPointer,
                                                       OpaquePointer?, UInt64) -> Status

    private let library: LoadedLibrary
    private let handle: Handle
    /// "cuDNN 9.1.0".
    let version: String
    private let errorString: ErrorString
    private let createTensor: Create, destroyTensor: Destroy, setTensor: SetTensor
    private let createFilter: Create, destroyFilter: Destroy, setFilter: SetFilter
    private let createConvolution: Create, destroyConvolution: Destroy, setConvolution: SetConvolution
    private let setGroups: SetInt, setMath: SetInt
    private let createPooling: Create, destroyPooling: Destroy, setPooling: SetPooling, poolingForward: PoolingForward
    private let heuristics: [ConvolutionCall.Direction: Heuristics]
    private let workspaceSize: [ConvolutionCall.Direction: WorkspaceSize]
    private let run: [ConvolutionCall.Direction: Run]
    /// The chosen algorithm and its workspace bytes, by geometry.
    private var plans: [ConvolutionCall: (algorithm: Int32, workspace: Int)] = [:]
    private let lock = NSLock()

    /// Loads cuDNN and creates a handle on the calling thread's current context, its work
    /// queued on `stream`.
    ///
    /// - Throws: `TheanoError.unsupported` naming where the library was looked for, a missing
    ///   function, or `cudnnCreate`'s status.
    init(stream: OpaquePointer?, locator: CUDALibraryLocator = CUDALibraryLocator()) throws {
        let lib = try locator.load(.cudnn)
        library = lib
        errorString = try lib.function("cudnnGetErrorString", as: ErrorString.self)
        let getVersion = try lib.function("cudnnGetVersion", as: GetVersion.self)
        let v = getVersion()
        // cuDNN 9 numbers versions major * 10000 + minor * 100 + patch; cuDNN 8 major * 1000.
        version = v >= 90000 ? "cuDNN \(v / 10000).\(v / 100 % 100).\(v % 100)" : "cuDNN \(v / 1000).\(v / 100 % 10).\(v % 100)"
        createTensor = try lib.function("cudnnCreateTensorDescriptor", as: Create.self)
        destroyTensor = try lib.function("cudnnDestroyTensorDescriptor", as: Destroy.self)
        setTensor = try lib.function("cudnnSetTensorNdDescriptor", as: SetTensor.self)
        createFilter = try lib.function("cudnnCreateFilterDescriptor", as: Create.self)
        destroyFilter = try lib.function("cudnnDestroyFilterDescriptor", as: Destroy.self)
        setFilter = try lib.function("cudnnSetFilterNdDescriptor", as: SetFilter.self)
        createConvolution = try lib.function("cudnnCreateConvolutionDescriptor", as: Create.self)
        destroyConvolution = try lib.function("cudnnDestroyConvolutionDescriptor", as: Destroy.self)
        setConvolution = try lib.function("cudnnSetConvolutionNdDescriptor", as: SetConvolution.self)
        setGroups = try lib.function("cudnnSetConvolutionGroupCount", as: SetInt.self)
        setMath = try lib.function("cudnnSetConvolutionMathType", as: SetInt.self)
        createPooling = try lib.function("cudnnCreatePoolingDescriptor", as: Create.self)
        destroyPooling = try lib.function("cudnnDestroyPoolingDescriptor", as: Destroy.self)
        setPooling = try lib.function("cudnnSetPoolingNdDescriptor", as: SetPooling.self)
        poolingForward = try lib.function("cudnnPoolingForward", as: PoolingForward.self)
        heuristics = [
            .forward: try lib.function("cudnnGetConvolutionForwardAlgorithm_v7", as: Heuristics.self),
            .backwardData: try lib.function("cudnnGetConvolutionBackwardDataAlgorithm_v7", as: Heuristics.self),
            .backwardFilter: try lib.function("cudnnGetConvolutionBackwardFilterAlgorithm_v7", as: Heuristics.self),
        ]
        workspaceSize = [
            .forward: try lib.function("cudnnGetConvolutionForwardWorkspaceSize", as: WorkspaceSize.self),
            .backwardData: try lib.function("cudnnGetConvolutionBackwardDataWorkspaceSize", as: WorkspaceSize.self),
            .backwardFilter: try lib.function("cudnnGetConvolutionBackwardFilterWorkspaceSize", as: WorkspaceSize.self),
        ]
        run = [
            .forward: try lib.function("cudnnConvolutionForward", as: Run.self),
            .backwardData: try lib.function("cudnnConvolutionBackwardData", as: Run.self),
            .backwardFilter: try lib.function("cudnnConvolutionBackwardFilter", as: Run.self),
        ]
        let create = try lib.function("cudnnCreate", as: Create.self)
        var h: OpaquePointer?
        let status = create(&h)
        guard status == 0 else {
            throw TheanoError.unsupported("cuDNN (\(lib.path)): cudnnCreate failed: \(errorString(status).map { String(cString: $0) } ?? "status \(status)")")
        }
        handle = h
        let setStream = try lib.function("cudnnSetStream", as: SetStream.self)
        let streamStatus = setStream(h, stream)
        guard streamStatus == 0 else {
            throw TheanoError.unsupported("cuDNN (\(lib.path)): cudnnSetStream failed with status \(streamStatus)")
        }
    }

    private func check(_ status: Status, _ what: @autoclosure () -> String, _ call: ConvolutionCall, device: String) throws {
        guard status == 0 else {
            let text = errorString(status).map { String(cString: $0) } ?? "status \(status)"
            let shapes = "x \(formatShape(call.inputShape)), w \(formatShape(call.filterShape)), y \(formatShape(call.outputShape))"
            if status == 2 { throw TheanoError.outOfMemory("\(version) on \(device): \(what()) (\(shapes)): \(text)") }
            throw TheanoError.unsupported("\(version) on \(device): \(what()) (\(shapes)) failed: \(text)")
        }
    }

    /// The descriptors of `call` (tensors `x` and `y`, filter `w`, convolution), destroyed
    /// after `body`.
    private func withDescriptors<R>(_ call: ConvolutionCall, device: String,
                                    _ body: (_ x: OpaquePointer?, _ w: OpaquePointer?, _ conv: OpaquePointer?, _ y: OpaquePointer?) throws -> R) throws -> R {
        let dataType: Int32 = call.dtype == .float32 ? 0 : 1  // CUDNN_DATA_FLOAT, CUDNN_DATA_DOUBLE
        var x: OpaquePointer?, y: OpaquePointer?, w: OpaquePointer?, conv: OpaquePointer?
        defer {
            if let x { _ = destroyTensor(x) }
            if let y { _ = destroyTensor(y) }
            if let w { _ = destroyFilter(w) }
            if let conv { _ = destroyConvolution(conv) }
        }
        try check(createTensor(&x), "creating a tensor descriptor", call, device: device)
        try check(createTensor(&y), "creating a tensor descriptor", call, device: device)
        try check(createFilter(&w), "creating a filter descriptor", call, device: device)
        try check(createConvolution(&conv), "creating a convolution descriptor", call, device: device)
        for (descriptor, shape) in [(x, call.inputShape), (y, call.outputShape)] {
            let dims = shape.map { Int32($0) }, strides = contiguousStrides(shape).map { Int32($0) }
            try check(setTensor(descriptor, dataType, Int32(dims.count), dims, strides), "describing a \(formatShape(shape)) tensor", call, device: device)
        }
        let filter = call.filterShape.map { Int32($0) }
        try check(setFilter(w, dataType, 0, Int32(filter.count), filter), "describing the filters", call, device: device)  // CUDNN_TENSOR_NCHW
        let (pad, stride, dilation) = (call.padding.map { Int32($0) }, call.stride.map { Int32($0) }, call.dilation.map { Int32($0) })
        try check(setConvolution(conv, Int32(pad.count), pad, stride, dilation, call.crossCorrelation ? 1 : 0, dataType),
                  "describing the convolution", call, device: device)
        try check(setGroups(conv, Int32(call.groups)), "setting \(call.groups) groups", call, device: device)
        try check(setMath(conv, 3), "asking for FMA math", call, device: device)  // CUDNN_FMA_MATH: no TF32 tensor cores
        return try body(x, w, conv, y)
    }

    /// The operand descriptors in the order `direction`'s functions take them: forward
    /// `(x, w, conv, y)`, backward data `(w, dy, conv, dx)`, backward filter `(x, dy, conv, dw)`.
    private static func ordered(_ direction: ConvolutionCall.Direction, x: OpaquePointer?, w: OpaquePointer?, y: OpaquePointer?)
        -> (OpaquePointer?, OpaquePointer?, OpaquePointer?) {
        switch direction {
        case .forward: (x, w, y)
        case .backwardData: (w, y, x)
        case .backwardFilter: (x, y, w)
        }
    }

    /// The algorithm for `call`'s geometry and the workspace bytes it needs.
    func plan(for call: ConvolutionCall, device: String) throws -> (algorithm: Int32, workspace: Int) {
        let key = call.shapeKey
        if let known = lock.withLock({ plans[key] }) { return known }
        let chosen: (Int32, Int) = try withDescriptors(call, device: device) { x, w, conv, y in
            let (a, b, c) = Self.ordered(call.direction, x: x, w: w, y: y)
            // cudnnConvolution*AlgoPerf_t: algo and status (int) at 0 and 4, memory (size_t) at
            // 16, mathType (int) at 28; 48 bytes each.
            let stride = 48, requested = 16
            let results = UnsafeMutableRawPointer.allocate(byteCount: stride * requested, alignment: 8)
            defer { results.deallocate() }
            var returned: Int32 = 0
            try check(heuristics[call.direction]!(handle, a, b, conv, c, Int32(requested), &returned, results), "choosing an algorithm", call, device: device)
            for i in 0..<Int(Swift.min(returned, Int32(requested))) {
                let entry = results + i * stride
                let (algorithm, status, math) = (entry.load(as: Int32.self), entry.load(fromByteOffset: 4, as: Int32.self), entry.load(fromByteOffset: 28, as: Int32.self))
                // CUDNN_TENSOR_OP_MATH and ..._ALLOW_CONVERSION would round float32 operands.
                guard status == 0, math != 1, math != 2 else { continue }
                var bytes = 0
                guard workspaceSize[call.direction]!(handle, a, b, conv, c, algorithm, &bytes) == 0 else { continue }
                return (algorithm, bytes)
            }
            throw TheanoError.unsupported("\(version) on \(device): no algorithm for this \(call.direction) convolution (\(formatShape(call.inputShape)) by \(formatShape(call.filterShape)))")
        }
        lock.withLock { plans[key] = chosen }
        return chosen
    }

    /// Queues `call` with the algorithm of ``plan(for:device:)`` and `workspace` (at least
    /// its bytes).
    func convolve(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int, device: String) throws {
        let (algorithm, needed) = try plan(for: call, device: device)
        guard workspaceBytes >= needed else {
            throw TheanoError.invalidArgument("\(version) on \(device): a workspace of \(workspaceBytes) bytes where the algorithm needs \(needed)")
        }
        try withDescriptors(call, device: device) { x, w, conv, y in
            let (a, b, c) = Self.ordered(call.direction, x: x, w: w, y: y)
            let (pa, pb, pc): (UInt64, UInt64, UInt64) = switch call.direction {
            case .forward: (call.x.raw, call.w.raw, call.y.raw)
            case .backwardData: (call.w.raw, call.y.raw, call.x.raw)
            case .backwardFilter: (call.x.raw, call.y.raw, call.w.raw)
            }
            // alpha and beta are of the compute type: float for float32, double for float64.
            var (alpha32, beta32, alpha64, beta64): (Float, Float, Double, Double) = (1, 0, 1, 0)
            let status: Status = call.dtype == .float32
                ? run[call.direction]!(handle, &alpha32, a, pa, b, pb, conv, algorithm, workspace.raw, workspaceBytes, &beta32, c, pc)
                : run[call.direction]!(handle, &alpha64, a, pa, b, pb, conv, algorithm, workspace.raw, workspaceBytes, &beta64, c, pc)
            try check(status, "running a \(call.direction) convolution", call, device: device)
        }
    }

    /// Queues a forward pooling (`cudnnPoolingForward`, NaN propagated).
    func pool(_ call: PoolingCall, device: String) throws {
        func check(_ status: Status, _ what: String) throws {
            guard status == 0 else {
                let text = errorString(status).map { String(cString: $0) } ?? "status \(status)"
                throw TheanoError.unsupported("\(version) on \(device): \(what) (x \(formatShape(call.inputShape)), window \(call.window)) failed: \(text)")
            }
        }
        let dataType: Int32 = call.dtype == .float32 ? 0 : 1
        var x: OpaquePointer?, y: OpaquePointer?, pooling: OpaquePointer?
        defer {
            if let x { _ = destroyTensor(x) }
            if let y { _ = destroyTensor(y) }
            if let pooling { _ = destroyPooling(pooling) }
        }
        try check(createTensor(&x), "creating a tensor descriptor")
        try check(createTensor(&y), "creating a tensor descriptor")
        try check(createPooling(&pooling), "creating a pooling descriptor")
        for (descriptor, shape) in [(x, call.inputShape), (y, call.outputShape)] {
            let dims = shape.map { Int32($0) }, strides = contiguousStrides(shape).map { Int32($0) }
            try check(setTensor(descriptor, dataType, Int32(dims.count), dims, strides), "describing a \(formatShape(shape)) tensor")
        }
        let (window, padding, stride) = (call.window.map { Int32($0) }, call.padding.map { Int32($0) }, call.stride.map { Int32($0) })
        try check(setPooling(pooling, call.mode.rawValue, 1, Int32(window.count), window, padding, stride), "describing the pooling")  // CUDNN_PROPAGATE_NAN
        var (alpha32, beta32, alpha64, beta64): (Float, Float, Double, Double) = (1, 0, 1, 0)
        let status = call.dtype == .float32
            ? poolingForward(handle, pooling, &alpha32, x, call.x.raw, &beta32, y, call.y.raw)
            : poolingForward(handle, pooling, &alpha64, x, call.x.raw, &beta64, y, call.y.raw)
        try check(status, "running a pooling")
    }
}
