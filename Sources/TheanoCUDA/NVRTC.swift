import Foundation
import TheanoArray
import TheanoCompile

/// NVRTC, NVIDIA's run-time compiler for CUDA C, loaded with `dlopen` (``CUDALibrary/nvrtc``).
/// It needs no GPU: kernels compile to a cubin for a named architecture (`sm_80`, `sm_90`) on
/// any machine, which is how the test suite checks every kernel the generator can emit.
public final class NVRTC: @unchecked Sendable {
    private typealias Version = @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32
    private typealias Create = @convention(c) (
        UnsafeMutablePointer<OpaquePointer?>, UnsafePointer<CChar>, UnsafePointer<CChar>?, Int32,
        UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private typealias Compile = @convention(c) (OpaquePointer?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private typealias SizeQuery = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>) -> Int32
    private typealias BytesQuery = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>) -> Int32
    private typealias Destroy = @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    private typealias ErrorString = @convention(c) (Int32) -> UnsafePointer<CChar>?

    public let library: LoadedLibrary
    /// NVRTC's version (major, minor).
    public let version: (major: Int, minor: Int)
    private let create: Create, compileProgram: Compile, destroy: Destroy, errorString: ErrorString
    private let logSize: SizeQuery, log: BytesQuery, cubinSize: SizeQuery, cubin: BytesQuery

    /// Loads NVRTC with `locator` and takes its functions.
    public init(locator: CUDALibraryLocator = CUDALibraryLocator()) throws {
        let lib = try locator.load(.nvrtc)
        library = lib
        let versionFunction = try lib.function("nvrtcVersion", as: Version.self)
        create = try lib.function("nvrtcCreateProgram", as: Create.self)
        compileProgram = try lib.function("nvrtcCompileProgram", as: Compile.self)
        destroy = try lib.function("nvrtcDestroyProgram", as: Destroy.self)
        errorString = try lib.function("nvrtcGetErrorString", as: ErrorString.self)
        logSize = try lib.function("nvrtcGetProgramLogSize", as: SizeQuery.self)
        log = try lib.function("nvrtcGetProgramLog", as: BytesQuery.self)
        cubinSize = try lib.function("nvrtcGetCUBINSize", as: SizeQuery.self)
        cubin = try lib.function("nvrtcGetCUBIN", as: BytesQuery.self)
        var major: Int32 = 0, minor: Int32 = 0
        _ = versionFunction(&major, &minor)
        version = (Int(major), Int(minor))
    }

    /// The process's NVRTC, loaded on first use (the error, when it cannot be, every time).
    public static var shared: NVRTC {
        get throws { try sharedResult.get() }
    }

    private static let sharedResult: Result<NVRTC, TheanoError> = Result { try NVRTC() }
        .mapError { $0 as? TheanoError ?? TheanoError.unsupported("CUDA: \($0)") }

    /// Compiles `source` (CUDA C++ with `extern "C"` kernels) to a cubin for `architecture`
    /// (`"sm_90"`), with ptxas reporting registers and spills into the log.
    ///
    /// - Throws: `TheanoError.unsupported` with NVRTC's log (the compiler's errors, with line
    ///   numbers in `name`) when the source does not compile.
    public func compile(_ source: String, name: String = "kernel.cu", architecture: String, options: [String] = []) throws -> CUDABinary {
        var program: OpaquePointer?
        var status = source.withCString { s in name.withCString { n in create(&program, s, n, 0, nil, nil) } }
        guard status == 0, program != nil else {
            throw TheanoError.unsupported("NVRTC: cannot create a program for \(name): \(describe(status))")
        }
        defer { _ = destroy(&program) }
        let all = ["--gpu-architecture=\(architecture)", "--ptxas-options=-v", "--std=c++17"] + options
        let cOptions = all.map { strdup($0) }
        defer { for p in cOptions { free(p) } }
        status = cOptions.map { UnsafePointer($0) }.withUnsafeBufferPointer { compileProgram(program, Int32(all.count), $0.baseAddress) }
        let text = programLog(program)
        guard status == 0 else {
            throw TheanoError.unsupported("NVRTC: \(name) does not compile for \(architecture): \(describe(status))\n\(text)")
        }
        var size = 0
        _ = cubinSize(program, &size)
        var bytes = [CChar](repeating: 0, count: Swift.max(size, 1))
        _ = cubin(program, &bytes)
        return CUDABinary(architecture: architecture, cubin: bytes.prefix(size).map { UInt8(bitPattern: $0) }, log: text)
    }

    /// The cubin of `source` for `architecture` from the on-disk kernel cache (beside the C
    /// kernels: `<key>.cubin`, keyed by the source, the architecture, this NVRTC's version and
    /// the options), compiled and stored when absent. `compiled` says whether NVRTC ran.
    ///
    /// - Throws: what ``compile(_:name:architecture:options:)`` throws; a `TheanoError` when
    ///   the cache folder cannot be used.
    public func cachedCubin(_ source: String, name: String = "kernel.cu", architecture: String, options: [String] = [],
                            cache: KernelCache = KernelCache()) throws -> (cubin: [UInt8], compiled: Bool) {
        let fields = [source, architecture, "nvrtc \(version.major).\(version.minor)", options.joined(separator: "\u{0}")]
        let (data, built) = try cache.binary(describedBy: fields, fileExtension: "cubin") {
            Data(try compile(source, name: name, architecture: architecture, options: options).cubin)
        }
        return (Array(data), built)
    }

    private func programLog(_ program: OpaquePointer?) -> String {
        var size = 0
        guard logSize(program, &size) == 0, size > 1 else { return "" }
        var bytes = [CChar](repeating: 0, count: size)
        _ = log(program, &bytes)
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func describe(_ status: Int32) -> String {
        errorString(status).map { String(cString: $0) } ?? "status \(status)"
    }
}

/// Device code compiled by NVRTC, with what ptxas reported about its kernels.
public struct CUDABinary: Sendable {
    public let architecture: String
    /// The cubin (an ELF file for the architecture), loadable with `cuModuleLoadData`.
    public let cubin: [UInt8]
    /// NVRTC's log: ptxas's report per kernel.
    public let log: String

    /// Per kernel (by its entry name): registers used and bytes of spill stores and loads,
    /// from ptxas's report.
    public var kernels: [String: (registers: Int, spillStores: Int, spillLoads: Int)] {
        var out: [String: (Int, Int, Int)] = [:]
        var current: String?
        var spills = (0, 0)
        for line in log.split(separator: "\n") {
            if let range = line.range(of: "Compiling entry function '") {
                current = String(line[range.upperBound...].prefix { $0 != "'" })
            } else if line.contains("spill stores") {
                let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                // "N bytes stack frame, S bytes spill stores, L bytes spill loads"
                if numbers.count >= 3 { spills = (numbers[1], numbers[2]) }
            } else if let range = line.range(of: "Used "), let name = current {
                let registers = Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
                out[name] = (registers, spills.0, spills.1)
                current = nil
                spills = (0, 0)
            }
        }
        return out
    }
}
