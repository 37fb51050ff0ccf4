import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads one log file's complete lines in 1 MB chunks, handing each line's bytes and offset to a closure
/// without copying it: a report over a million messages reads gigabytes of log.
enum EventLogScanner {
    /// Calls `body` for each complete line from `offset` on and returns the offset just after the last one
    /// (a line still being written, or torn by a crash, is not handed out).
    @discardableResult
    static func scan(_ file: URL, from offset: UInt64 = 0, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) -> UInt64 {
        scanReads(file, from: offset) { buffer, bufferOffset, lines in
            for (start, count) in lines {
                body(UnsafeRawBufferPointer(start: buffer + start, count: count), bufferOffset + UInt64(start))
            }
            return true
        }
    }

    /// The same, one read at a time: `body` gets the buffer, its offset in the file and the (start, count)
    /// of each complete, non-empty line in it, and returns false to stop.
    @discardableResult
    static func scanReads(
        _ file: URL,
        from offset: UInt64 = 0,
        readBytes: Int = 1 << 20,
        _ body: (UnsafeRawPointer, UInt64, [(start: Int, count: Int)]) -> Bool
    ) -> UInt64 {
        guard let source = LogSource(file) else { return offset }
        var capacity = readBytes
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        var bufferOffset = offset
        var lines: [(start: Int, count: Int)] = []
        while true {
            if filled == capacity {
                // A line longer than the buffer (a huge raw body): grow rather than cut it.
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                bigger.copyMemory(from: buffer, byteCount: filled)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let n = source.read(into: buffer + filled, count: capacity - filled, at: bufferOffset + UInt64(filled))
            guard n > 0 else { break }
            filled += n
            var lineStart = 0
            lines.removeAll(keepingCapacity: true)
            while lineStart < filled, let found = memchr(buffer + lineStart, 0x0A, filled - lineStart) {
                let lineEnd = UnsafeMutableRawPointer(found) - buffer
                if lineEnd > lineStart { lines.append((lineStart, lineEnd - lineStart)) }
                lineStart = lineEnd + 1
            }
            if !lines.isEmpty, !body(buffer, bufferOffset, lines) { return bufferOffset }
            if lineStart > 0 {
                memmove(buffer, buffer + lineStart, filled - lineStart)
                filled -= lineStart
                bufferOffset += UInt64(lineStart)
            }
        }
        return bufferOffset
    }
}

/// Reads lines back at offsets recorded during a scan, through a window that is refilled only when a line
/// falls outside it: rows of a report ask for lines in nearly the order they were written.
final class LineWindow {
    private let source: LogSource
    private var buffer: UnsafeMutableRawPointer
    /// 256 kB: a report holds two (names, message ids) while a million rows are written; rows ask for lines
    /// in nearly the order they were written, so a bigger window saves few reads and costs resident memory.
    private var capacity = 256 << 10
    private var start: UInt64 = 0
    private var count = 0

    init?(_ file: URL) {
        guard let source = LogSource(file) else { return nil }
        self.source = source
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The line starting at `offset` (without its newline), valid until the next call.
    func line(at offset: UInt64) -> UnsafeRawBufferPointer? {
        if offset >= start, offset < start + UInt64(count),
            let found = memchr(buffer + Int(offset - start), 0x0A, count - Int(offset - start))
        {
            let from = Int(offset - start)
            return UnsafeRawBufferPointer(start: buffer + from, count: UnsafeMutableRawPointer(found) - buffer - from)
        }
        while true {
            let n = source.read(into: buffer, count: capacity, at: offset)
            guard n > 0 else { return nil }
            start = offset
            count = n
            if let found = memchr(buffer, 0x0A, n) {
                return UnsafeRawBufferPointer(start: buffer, count: UnsafeMutableRawPointer(found) - buffer)
            }
            guard n == capacity else { return nil }
            buffer.deallocate()
            capacity *= 2
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
    }
}
