import CZlib
import Foundation

/// Raw deflate streams (no zlib header, as ZIP stores them) and CRC-32, from the system zlib.
extension ZIPArchive {
    /// zlib takes sizes as 32-bit counts; larger buffers go through in chunks of this size.
    private static let chunkLimit = 1 << 30

    /// The CRC-32 of `data`.
    static func checksum(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { raw -> UInt32 in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return 0 }
            var crc = crc32(0, nil, 0)
            var done = 0
            while done < raw.count {
                let n = Swift.min(raw.count - done, chunkLimit)
                crc = crc32(crc, base + done, uInt(n))
                done += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    /// Inflates a raw deflate stream that must produce exactly `size` bytes.
    static func inflate(_ input: UnsafeRawBufferPointer, size: Int, member: String) throws -> Data {
        // Deflate cannot compress better than about 1032:1; a larger claimed size is a lie
        // (and would make us allocate memory for nothing).
        guard size / 1032 <= input.count else {
            throw ZIPArchive.damaged("member '\(member)' claims \(size) bytes from only \(input.count) compressed bytes")
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TheanoError.io("zlib could not start inflating member '\(member)'")
        }
        defer { inflateEnd(&stream) }
        var output = Data(count: Swift.max(size, 1))  // zlib refuses a null output pointer
        var produced = 0
        var status = Z_OK
        output.withUnsafeMutableBytes { out in
            guard let outBase = out.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return }
            let inBase = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
            var consumed = 0
            while true {
                let inChunk = Swift.min(input.count - consumed, chunkLimit)
                let outChunk = Swift.min(out.count - produced, chunkLimit)
                stream.next_in = inBase.map { $0 + consumed }
                stream.avail_in = uInt(inChunk)
                stream.next_out = outBase + produced
                stream.avail_out = uInt(outChunk)
                status = CZlib.inflate(&stream, Z_NO_FLUSH)
                consumed += inChunk - Int(stream.avail_in)
                produced += outChunk - Int(stream.avail_out)
                if status != Z_OK { break }  // Z_STREAM_END, or an error
                if inChunk - Int(stream.avail_in) == 0 && outChunk - Int(stream.avail_out) == 0 { break }
            }
        }
        guard status == Z_STREAM_END else {
            let reason = status == Z_OK || status == Z_BUF_ERROR
                ? (produced >= size ? "inflates to more than its recorded size \(size)" : "its compressed data ends early")
                : "its compressed data is corrupt (zlib error \(status))"
            throw ZIPArchive.damaged("member '\(member)': \(reason)")
        }
        guard produced == size else {
            throw ZIPArchive.damaged("member '\(member)' inflates to \(produced) bytes but records a size of \(size)")
        }
        output.count = size
        return output
    }

    /// Deflates `data` into a raw deflate stream (zlib's default level).
    static func deflate(_ data: Data) throws -> Data {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TheanoError.io("npz: zlib could not start compressing")
        }
        defer { deflateEnd(&stream) }
        var output = Data()
        var buffer = [Bytef](repeating: 0, count: 1 << 16)
        var status = Z_OK
        data.withUnsafeBytes { raw in
            let inBase = raw.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
            var consumed = 0
            repeat {
                let inChunk = Swift.min(raw.count - consumed, chunkLimit)
                let flush = consumed + inChunk == raw.count ? Z_FINISH : Z_NO_FLUSH
                stream.next_in = inBase.map { $0 + consumed }
                stream.avail_in = uInt(inChunk)
                repeat {
                    let produced = buffer.withUnsafeMutableBufferPointer { out -> Int in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        status = CZlib.deflate(&stream, flush)
                        return out.count - Int(stream.avail_out)
                    }
                    output.append(contentsOf: buffer[0..<produced])
                } while stream.avail_out == 0 && status == Z_OK
                consumed += inChunk - Int(stream.avail_in)
            } while status == Z_OK && consumed < raw.count
        }
        guard status == Z_STREAM_END else { throw TheanoError.io("npz: zlib failed to compress (error \(status))") }
        return output
    }
}
