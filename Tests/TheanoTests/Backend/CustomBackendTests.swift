import Synchronization
import Theano
import XCTest

// The seam is open: backends defined here, outside the library, compile and run functions
// without any change to it.

/// Counts kernel calls, shared by every kernel of one backend value.
final class CallCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A toy backend: every node runs its reference `perform`, through a kernel that counts calls.
struct CountingBackend: KernelBackend {
    let counter = CallCounter()
    var name: String { "counting" }

    struct CountingKernel: Kernel {
        let counter: CallCounter
        func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
            counter.increment()
            return try node.op.perform(node, inputs)
        }
    }

    func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        nodes.map { _ in .kernel(CountingKernel(counter: counter), implementation: "counting reference") }
    }
}

/// A backend with no implementation for ops of a given type (a GPU backend without a kernel
/// for some op is in this situation).
struct DecliningBackend: KernelBackend {
    let declined: String
    var name: String { "declining" }

    func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        nodes.map { node in
            "\(node.op)".hasPrefix(declined) ? .missing("this backend has no \(declined) kernel") : .reference
        }
    }
}

/// A backend whose MatMul kernel is wrong (adds one), to show that DebugMode compares two
/// implementations.
struct WrongMatMulBackend: KernelBackend {
    var name: String { "wrong-matmul" }

    struct OffByOne: Kernel {
        func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
            let product = try node.op.perform(node, inputs)[0]
            return [try NDArray(product.doubles.map { $0 + 1 }, shape: product.shape).astype(product.dtype)]
        }
    }

    func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        nodes.map { $0.op is MatMul ? .kernel(OffByOne(), implementation: "off by one") : .reference }
    }
}

final class CustomBackendTests: XCTestCase {
    func testAToyBackendCompilesAndRunsFunctions() throws {
        let backend = CountingBackend()
        let x = Tensor.vector("x", .float64), w = Tensor.matrix("w", .float64)
        let y = try tanh(w.matmul(x)) + 1
        let f = try function([x, w], [y], options: CompileOptions(backend: Backend(backend)))
        let reference = try function([x, w], [y], options: CompileOptions(backend: .reference))
        let args = [NDArray([1.0, 2.0]), try NDArray([[1.0, 0.5], [-1, 2]])]
        assertClose(try f.call(args)[0], try reference.call(args)[0], rtol: 0, atol: 0)
        let nodes = f.kernelReport.entries.count
        XCTAssertGreaterThan(nodes, 0)
        XCTAssertEqual(backend.counter.value, nodes, "one kernel call per node")
        _ = try f.call(args)
        XCTAssertEqual(backend.counter.value, 2 * nodes)
        XCTAssertEqual(f.kernelReport.backend, "counting")
        XCTAssertTrue(f.kernelReport.entries.allSatisfy { $0.kind == .kernel && $0.implementation == "counting reference" })
    }

    func testAToyBackendRunsSharedUpdates() throws {
        let backend = CountingBackend()
        let w = Shared(NDArray([1.0, 2.0]), name: "w")
        let g = Tensor.vector("g", .float64)
        let step = try function([g], [], updates: [w: w - 0.5 * g], options: CompileOptions(backend: Backend(backend)))
        _ = try step(NDArray([2.0, 2.0]))
        assertValues(w.value, [0, 1])
        XCTAssertGreaterThan(backend.counter.value, 0)
    }

    func testAMissingKernelRunsTheReferenceAndIsReported() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x) * 2], mode: .unoptimized, options: CompileOptions(backend: Backend(DecliningBackend(declined: "exp"))))
        assertValues(try f(NDArray([0.0]))[0], [2])
        let missing = f.kernelReport.missing
        XCTAssertEqual(missing.count, 1)
        XCTAssertEqual(missing.first?.note, "this backend has no exp kernel")
        XCTAssertTrue(f.kernelReport.description.contains("reference (fallback)"), f.kernelReport.description)
    }

    func testStrictMakesAMissingKernelACompileError() throws {
        let x = Tensor.vector("x", .float64)
        let options = CompileOptions(backend: Backend(DecliningBackend(declined: "exp")), strict: true)
        assertThrows(.unsupported, containing: ["declining", "no implementation", "exp", "float64[?]", "this backend has no exp kernel", "strict"]) {
            try function([x], [exp(x) * 2], mode: .unoptimized, options: options)
        }
        // Nodes the backend does implement are fine under strict.
        XCTAssertNoThrow(try function([x], [x * 2], mode: .unoptimized, options: options))
    }

    func testDebugModeComparesABackendKernelWithTheReference() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let args = [try NDArray([[1.0, 2], [3, 4]]), try NDArray([[1.0, 0], [0, 1]])]
        let options = CompileOptions(backend: Backend(WrongMatMulBackend()))
        let fast = try function([a, b], [a.matmul(b)], mode: .fastRun, options: options)
        assertValues(try fast.call(args)[0], [2, 3, 4, 5])
        let checked = try function([a, b], [a.matmul(b)], mode: .debug, options: options)
        assertThrows(.graph, containing: ["DebugMode", "MatMul", "differs from the reference"]) { try checked.call(args) }
    }

    func testBackendsByName() throws {
        XCTAssertEqual(Backend.named("cpu")?.name, "cpu")
        XCTAssertEqual(Backend.named("reference")?.name, "reference")
        XCTAssertEqual(Backend.named("interpreter")?.name, "reference", "the old linker name still works")
        XCTAssertEqual(Backend.named("c")?.name, "cpu")
        XCTAssertNil(Backend.named("gpu"))
    }
}
