import CZstd
import Foundation

/// The only caller of libzstd. A compressed day file is a series of independent zstd frames, each holding
/// whole lines (about 1 MiB of them) and its own content size, so a reader can find any offset's frame by
/// walking the frames' headers and decompress just that one; `zstdcat` reads the file as one stream.
enum ZstdFrames {
    enum Failure: Error, Equatable {
        case compress(String)
        case corrupt(String)
    }

    /// One frame of `bytes`, at `level` (3: zstd's default, several times smaller than the JSON lines and
    /// decompressed at over a gigabyte a second).
    static func compress(_ bytes: UnsafeRawBufferPointer, level: Int32 = 3) throws(Failure) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { o in ZSTD_compress(o.baseAddress, bound, bytes.baseAddress, bytes.count, level) }
        if ZSTD_isError(written) != 0 { throw .compress(String(cString: ZSTD_getErrorName(written))) }
        out.removeLast(bound - written)
        return out
    }

    /// Where each frame lies in the compressed bytes and how many bytes it holds decompressed.
    struct Frame: Equatable {
        var compressed: Range<Int>
        var contentSize: Int
    }

    static let maxFrameContent: UInt64 = 64 << 20

    static func frames(in bytes: UnsafeRawBufferPointer) throws(Failure) -> [Frame] {
        var frames: [Frame] = []
        var at = 0
        while at < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[at...])
            let size = ZSTD_findFrameCompressedSize(rest.baseAddress, rest.count)
            if ZSTD_isError(size) != 0 { throw .corrupt("frame at byte \(at): \(String(cString: ZSTD_getErrorName(size)))") }
            let content = ZSTD_getFrameContentSize(rest.baseAddress, size)
            // Frames this code writes always state their size; anything else is not a day file of ours.
            guard content != ZSTD_CONTENTSIZE_UNKNOWN, content != ZSTD_CONTENTSIZE_ERROR else {
                throw .corrupt("frame at byte \(at) does not state its size")
            }
            // Ours hold about 1 MiB (one line longer than that, at most the listener's 4 MB body cap, escaped):
            // a frame claiming far more is damage, not a reason to allocate it.
            guard content <= maxFrameContent else { throw .corrupt("frame at byte \(at) claims \(content) bytes") }
            frames.append(Frame(compressed: at..<(at + size), contentSize: Int(content)))
            at += size
        }
        return frames
    }

    /// Decompresses one frame into `buffer`, which holds at least its content size.
    static func decompress(_ frame: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawPointer, capacity: Int) throws(Failure) -> Int {
        let n = ZSTD_decompress(buffer, capacity, frame.baseAddress, frame.count)
        if ZSTD_isError(n) != 0 { throw .corrupt(String(cString: ZSTD_getErrorName(n))) }
        return n
    }
}
