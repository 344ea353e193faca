import CZlib
import Foundation

/// Decompresses a gzip file's contents (one or more members, as `gzip` writes them).
///
/// - Parameter maxBytes: the most bytes the contents may inflate to (default 4 GiB); a
///   gzip bomb stops there with an error.
/// - Throws: ``TheanoError/Kind/io`` when the data is not gzip, is truncated or corrupt, or
///   inflates to more than `maxBytes`.
public func gunzip(_ data: Data, maxBytes: Int = 1 << 32) throws -> Data {
    guard data.count >= 18, data[data.startIndex] == 0x1f, data[data.startIndex + 1] == 0x8b else {
        throw TheanoError.io("gunzip: the data is not in gzip format (it does not start with the gzip magic bytes 1f 8b)")
    }
    var stream = z_stream()
    // 16 + MAX_WBITS: expect a gzip header and trailer.
    guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw TheanoError.io("gunzip: zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    var output = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var status = Z_OK
    try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
        guard let base = input.baseAddress else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        while true {
            let produced: Int = chunk.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                status = inflate(&stream, Z_NO_FLUSH)
                return out.count - Int(stream.avail_out)
            }
            guard produced <= maxBytes - output.count else {
                throw TheanoError.io("gunzip: the data inflates to more than the limit of \(maxBytes) bytes (maxBytes); pass a larger maxBytes to read it")
            }
            output.append(contentsOf: chunk[0..<produced])
            if status == Z_STREAM_END {
                // Concatenated members: start again if input remains.
                guard stream.avail_in > 0 else { break }
                guard inflateReset(&stream) == Z_OK else { throw TheanoError.io("gunzip: zlib could not continue after a member") }
                continue
            }
            guard status == Z_OK else {
                throw TheanoError.io(status == Z_BUF_ERROR ? "gunzip: the compressed data ends early (truncated file)" : "gunzip: the compressed data is corrupt (zlib error \(status))")
            }
            if produced == 0 && stream.avail_in == 0 {
                throw TheanoError.io("gunzip: the compressed data ends early (truncated file)")
            }
        }
    }
    return output
}
