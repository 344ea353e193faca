import Foundation
import Theano
import XCTest

/// Memory stays flat while a training step is called again and again: the buffer recycler
/// keeps what one call needs, not everything ever released.
final class MemorySoakTests: XCTestCase {
    /// Resident memory of this process in bytes (Linux `/proc/self/statm`).
    func residentBytes() throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { throw XCTSkip("no /proc/self/statm") }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testAnMLPTrainingStepWithMomentumRunsInFlatMemory() throws {
        // The address sanitizer keeps freed memory in quarantine: RSS means nothing there.
        if dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil { throw XCTSkip("RSS is not meaningful under the address sanitizer") }
        var data = TestData(seed: 3)
        let (inputs, hidden, classes, batch) = (64, 64, 10, 128)
        let W1 = Shared(data.array([inputs, hidden]).astype(.float32) , name: "W1")
        let b1 = Shared(try NDArray.zeros([hidden]), name: "b1")
        let W2 = Shared(data.array([hidden, classes]).astype(.float32), name: "W2")
        let b2 = Shared(try NDArray.zeros([classes]), name: "b2")
        let params = [W1, b1, W2, b2]
        let velocities = try params.map { Shared(try NDArray.zeros($0.value.shape), name: "v") }
        let x = Tensor.matrix("x", .float32, shape: [nil, inputs])
        let y = Tensor.vector("y", .int64)
        let h = try relu(x.matmul(W1) + b1)
        let p = try logSoftmax(h.matmul(W2) + b2, axis: 1)
        let loss = try -p[arange(y.shape(0)), y].mean()
        let grads = try grad(loss, wrt: params)
        var updates: [Shared: Tensor] = [:]
        for (param, (v, g)) in zip(params, zip(velocities, grads)) {
            let newV = try 0.9 * v - 0.01 * g
            updates[v] = newV
            updates[param] = try param + newV
        }
        let step = try function([x, y], [loss], updates: updates)
        let xb = data.array([batch, inputs]).astype(.float32)
        let yb = NDArray((0..<batch).map { Int64($0 % classes) })
        for _ in 0..<200 { _ = try step(xb, yb) }
        let warm = try residentBytes()
        for _ in 0..<2000 { _ = try step(xb, yb) }
        let grown = try residentBytes() - warm
        XCTAssertLessThan(grown, 4 << 20, "RSS grew by \(grown / 1024) KiB over 2,000 steps after warm-up")
    }

    func testTheRecyclerKeepsOnlyWhatACallNeeds() throws {
        let x = Tensor.matrix("x", .float32), w = Tensor.matrix("w", .float32)
        let f = try function([x, w], [tanh(x.matmul(w)) * 2 + 1])
        let a = try NDArray.ones([64, 64]), b = try NDArray.ones([64, 64])
        for _ in 0..<50 { _ = try f(a, b) }
        let retained = f.retainedBufferBytes
        for _ in 0..<500 { _ = try f(a, b) }
        XCTAssertEqual(f.retainedBufferBytes, retained, "the recycler's holdings do not grow with the number of calls")
        XCTAssertLessThanOrEqual(retained, 4 * 64 * 64 * 4 * 2)
    }
}
