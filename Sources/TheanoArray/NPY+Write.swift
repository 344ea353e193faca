import Foundation

/// Writing NumPy's `.npy` format (see ``NPYHeader``).
extension NDArray {
    /// The bytes of a `.npy` file holding this array, as `np.save` writes them: format version
    /// 1.0 (2.0 only for a header too long for 1.0), little-endian elements, header padded so the
    /// data starts on a 64-byte boundary.
    ///
    /// - Parameter fortranOrder: write the elements in Fortran (column-major) order and mark
    ///   the header `fortran_order: True`; the default is C order. Any layout (views, broadcast,
    ///   negative strides) is written by value.
    public func npyData(fortranOrder: Bool = false) -> Data {
        let header = NPYHeader(dtype: dtype, fortranOrder: fortranOrder, shape: shape)
        let dictBytes = Array(header.dictText.utf8)  // ASCII
        func padded(prefix: Int) -> [UInt8] {
            let pad = (64 - (prefix + dictBytes.count + 1) % 64) % 64
            return dictBytes + Array(repeating: UInt8(ascii: " "), count: pad) + [UInt8(ascii: "\n")]
        }
        var headerBytes = padded(prefix: 10)
        let major: UInt8 = headerBytes.count <= Int(UInt16.max) ? 1 : 2
        if major == 2 { headerBytes = padded(prefix: 12) }

        // Fortran order of `a` is C order of `a` with its axes reversed.
        let body = fortranOrder ? self.T.contiguous() : contiguous()
        var data = Data(capacity: 12 + headerBytes.count + byteCount)
        data.append(contentsOf: NPYHeader.magic)
        data.append(contentsOf: [major, 0])
        let length = headerBytes.count
        let lengthSize = major == 1 ? 2 : 4
        data.append(contentsOf: (0..<lengthSize).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
        data.append(contentsOf: headerBytes)
        data.append(contentsOf: UnsafeRawBufferPointer(
            start: body.storage.baseAddress + body.offset * dtype.byteSize, count: body.byteCount))
        return data
    }

    /// Writes this array to a `.npy` file (see ``npyData(fortranOrder:)``), replacing any file
    /// at `url`. Throws an `.io` error naming the file when it cannot be written.
    public func saveNPY(to url: URL, fortranOrder: Bool = false) throws {
        try writeFileContents(npyData(fortranOrder: fortranOrder), to: url, kind: "npy")
    }
}
