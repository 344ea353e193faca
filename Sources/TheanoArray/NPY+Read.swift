import Foundation

/// Reading NumPy's `.npy` format (versions 1.0, 2.0 and 3.0; see ``NPYHeader``).
extension NDArray {
    /// Reads an array from the bytes of a `.npy` file, as written by `np.save`.
    ///
    /// Supports format versions 1.0, 2.0 and 3.0, the eight dtypes of ``DType`` stored
    /// little-endian (`|b1`, `|u1`, `|i1`, `<i2`, `<i4`, `<i8`, `<f4`, `<f8`, and equivalent
    /// spellings), C and Fortran order, 0-d and empty arrays. A Fortran-order file becomes an
    /// array with Fortran strides (no copy). Bool bytes other than 0 read as `true`. Bytes after
    /// the elements are ignored, as NumPy does.
    ///
    /// Throws a ``TheanoError`` of kind `.io` saying what is wrong when the data is not a valid
    /// `.npy` file (bad magic or version, malformed header, unsupported or big-endian dtype,
    /// fewer bytes than the shape needs, ...).
    public init(npyData data: Data) throws {
        self = try withIOContext("npy data") { try NPYFormat.decode(data) }
    }

    /// Reads a `.npy` file (see ``init(npyData:)``); errors name the file.
    public static func loadNPY(from url: URL) throws -> NDArray {
        let data = try readFileContents(url, kind: "npy")
        return try withIOContext("npy file '\(url.path)'") { try NPYFormat.decode(data) }
    }
}

/// Decoding of `.npy` bytes into an ``NDArray``.
enum NPYFormat {
    static func decode(_ data: Data) throws -> NDArray {
        try data.withUnsafeBytes { try decode($0) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> NDArray {
        let (header, dataStart) = try decodeHeader(bytes)
        let byteCount: Int
        do {
            byteCount = try checkedByteCount(header.shape, dtype: header.dtype, context: "the header")
        } catch let error as TheanoError {
            throw TheanoError.io(error.message)
        }
        let available = bytes.count - dataStart
        guard byteCount <= available else {
            throw TheanoError.io(
                "the data is truncated: shape \(formatShape(header.shape)) of \(header.dtype) needs \(byteCount) bytes, but only \(available) follow the header")
        }

        // The elements are little-endian, like every platform Swift runs on.
        let storage = try ArrayStorage(byteCount: byteCount, zeroed: false)
        if byteCount > 0, let base = bytes.baseAddress {
            storage.baseAddress.copyMemory(from: base + dataStart, byteCount: byteCount)
        }
        if header.dtype == .bool {
            // NumPy reads any non-zero byte as True; a Swift Bool must be exactly 0 or 1.
            for i in 0..<byteCount where storage.baseAddress.load(fromByteOffset: i, as: UInt8.self) > 1 {
                storage.baseAddress.storeBytes(of: 1, toByteOffset: i, as: UInt8.self)
            }
        }
        let strides = header.fortranOrder ? fortranStrides(header.shape) : contiguousStrides(header.shape)
        return NDArray(storage: storage, dtype: header.dtype, shape: header.shape, strides: strides, offset: 0)
    }

    /// The header and the offset of the first element.
    static func decodeHeader(_ bytes: UnsafeRawBufferPointer) throws -> (NPYHeader, Int) {
        let magic = NPYHeader.magic
        guard bytes.count >= magic.count, bytes.prefix(magic.count).elementsEqual(magic) else {
            throw TheanoError.io("not a .npy file: it does not start with the magic string \\x93NUMPY")
        }
        guard bytes.count >= 8 else {
            throw TheanoError.io("the data is truncated: it ends before the format version (\(bytes.count) bytes)")
        }
        let (major, minor) = (bytes[6], bytes[7])
        guard (1...3).contains(major), minor == 0 else {
            throw TheanoError.io("unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0 and 3.0)")
        }
        let lengthSize = major == 1 ? 2 : 4
        let headerStart = 8 + lengthSize
        guard bytes.count >= headerStart else {
            throw TheanoError.io("the data is truncated: it ends before the header length (\(bytes.count) bytes)")
        }
        var headerLength = 0
        for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        guard headerLength <= bytes.count - headerStart else {
            throw TheanoError.io(
                "the header length \(headerLength) runs past the end of the data (\(bytes.count - headerStart) bytes follow the header length)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)])
        let text: String
        if major >= 3 {
            guard let utf8 = String(bytes: headerBytes, encoding: .utf8) else {
                throw TheanoError.io("the header of a version \(major).0 file is not valid UTF-8")
            }
            text = utf8
        } else {
            var latin1 = String.UnicodeScalarView()
            for byte in headerBytes { latin1.append(Unicode.Scalar(byte)) }
            text = String(latin1)
        }
        return (try NPYHeader(dictText: text), headerStart + headerLength)
    }
}

/// Runs `body`, prefixing the message of any ``TheanoError`` it throws with `context` (such as
/// the file name); other errors become `.io` errors.
func withIOContext<T>(_ context: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TheanoError {
        throw TheanoError(error.kind, "\(context): \(error.message)")
    } catch {
        throw TheanoError.io("\(context): \(error)")
    }
}

/// The contents of a file, or an `.io` error naming it.
func readFileContents(_ url: URL, kind: String) throws -> Data {
    do {
        return try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
        throw TheanoError.io("cannot read \(kind) file '\(url.path)': \(error.localizedDescription)")
    }
}

/// Writes `data` to a file atomically, or throws an `.io` error naming it.
func writeFileContents(_ data: Data, to url: URL, kind: String) throws {
    do {
        try data.write(to: url, options: .atomic)
    } catch {
        throw TheanoError.io("cannot write \(kind) file '\(url.path)': \(error.localizedDescription)")
    }
}
