import TheanoArray
import TheanoGraph

/// The state of a functional random stream: an int64 vector `[key, counter]` (the 64-bit
/// Philox key and the 64-bit number of draws made so far, as bit patterns).
///
/// A random op reads a state and returns the next one (`counter + 1`) as its second output;
/// element `i` of a draw is computed from the Philox block with counter
/// `(i low, i high, counter low, counter high)` under the key, so every element is independent
/// of the others and of the thread count. (The rejection loop of the truncated normal adds the
/// attempt number to the element index at bit 40, which bounds a draw to 2^40 elements.)
public enum RandomState {
    /// The state type: int64 vector of size 2.
    public static let type = TensorType(.int64, shape: [2])

    /// The state with `key` and `counter`.
    public static func make(key: UInt64, counter: UInt64 = 0) -> NDArray {
        NDArray([Int64(bitPattern: key), Int64(bitPattern: counter)])
    }

    /// The key of draw `index` of a stream seeded with `seed`: the first two words of the
    /// Philox block of counter `(index, 0x5eed)` under the seed as key, so keys of different
    /// draws and seeds are unrelated.
    public static func key(seed: UInt64, draw index: UInt64) -> UInt64 {
        let b = Philox4x32.block(key: seed, stream: 0x5EED, index: index)
        return UInt64(b.x) | UInt64(b.y) << 32
    }

    /// The initial state of draw `index` of a stream seeded with `seed`.
    public static func initial(seed: UInt64, draw index: UInt64) -> NDArray {
        make(key: key(seed: seed, draw: index))
    }

    /// Reads `(key, counter)` from a state value, checking its dtype and size.
    static func read(_ state: NDArray, opName: String) throws -> (key: UInt64, counter: UInt64) {
        guard state.dtype == .int64, state.rank == 1, state.count == 2 else {
            throw TheanoError.invalidArgument(
                "\(opName): the random state must be an int64 vector [key, counter] of size 2, got \(state.dtype) of shape \(formatShape(state.shape))")
        }
        let words = state.toArray(of: Int64.self)
        return (UInt64(bitPattern: words[0]), UInt64(bitPattern: words[1]))
    }

    /// The state after one draw.
    package static func next(_ key: UInt64, _ counter: UInt64) -> NDArray {
        make(key: key, counter: counter &+ 1)
    }

    /// Checks a state input when a node is built.
    static func checkInput(_ v: Variable, opName: String) throws {
        guard v.type.dtype == .int64, v.type.rank == 1, v.type.shape[0].map({ $0 == 2 }) ?? true else {
            throw TheanoError.typeMismatch(
                "\(opName): input 0 must be a random state (an int64 vector of size 2, see RandomState), got \(describeVariable(v))")
        }
    }
}

/// Uniform and normal variates from Philox blocks.
enum PhiloxVariates {
    /// A 64-bit word from the first two words of a block.
    @inline(__always) static func low64(_ b: SIMD4<UInt32>) -> UInt64 { UInt64(b.x) | UInt64(b.y) << 32 }
    /// A 64-bit word from the last two words of a block.
    @inline(__always) static func high64(_ b: SIMD4<UInt32>) -> UInt64 { UInt64(b.z) | UInt64(b.w) << 32 }

    /// A float64 uniform in [0, 1) with 53 random bits.
    @inline(__always) static func unit53(_ bits: UInt64) -> Double { Double(bits >> 11) * 0x1.0p-53 }

    /// A float32 uniform in [0, 1) with 24 random bits.
    @inline(__always) static func unit24(_ word: UInt32) -> Double { Double(word >> 8) * 0x1.0p-24 }

    /// The two standard normals of a block (Box-Muller on two 53-bit uniforms, the first in
    /// (0, 1] so that its logarithm is finite).
    @inline(__always) static func normals(_ b: SIMD4<UInt32>) -> (Double, Double) {
        let u1 = (Double(low64(b) >> 11) + 1) * 0x1.0p-53
        let u2 = unit53(high64(b))
        let r = (-2 * Double.log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (r * Double.cos(theta), r * Double.sin(theta))
    }
}

import RealModule
