/// The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror and Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3", SC 2011): a keyed bijection of 128-bit counters, ten rounds of
/// multiply-high/low and xor with a Weyl-sequence key schedule.
///
/// A block of four 32-bit words depends only on the key and the counter, so any element of a
/// draw can be computed on its own: the numbers do not depend on the order of computation or
/// on the thread count. The implementation is checked against Random123's known-answer vectors.
///
/// ```swift
/// let words = Philox4x32.block(counter: [0, 0, 0, 0], key: [0, 0])
/// // [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
/// ```
public enum Philox4x32 {
    /// The ten-round output block for `counter` under `key`.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.x &+= 0x9E37_79B9
                k.y &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c.x)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.z)
            c = SIMD4(UInt32(truncatingIfNeeded: p1 >> 32) ^ c.y ^ k.x, UInt32(truncatingIfNeeded: p1),
                      UInt32(truncatingIfNeeded: p0 >> 32) ^ c.w ^ k.y, UInt32(truncatingIfNeeded: p0))
        }
        return c
    }

    /// The block for 64-bit halves: `key` split into (low, high) words, and the counter
    /// `(index low, index high, stream low, stream high)`.
    @inlinable
    public static func block(key: UInt64, stream: UInt64, index: UInt64) -> SIMD4<UInt32> {
        block(counter: SIMD4(UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
                             UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
              key: SIMD2(UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32)))
    }
}
