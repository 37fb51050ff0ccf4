import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// Reads a log file's complete lines and finds their fields on a second thread while the caller folds
/// the lines already found: finding fields was about 60% of a fold, so a report's fold of a big log runs on
/// both cores. Chunks are small (256 kB) and at most three exist at once, to keep a report's memory flat.
enum ParsedLogScanner {
    /// One chunk of complete lines and their fields (nil: not a flat line, the caller decodes it).
    final class Chunk: @unchecked Sendable {
        struct Line {
            let start: Int32
            let count: Int32
            let fields: EventFields?
        }

        let bytes: UnsafeMutableRawPointer
        let fileOffset: UInt64
        var lines: [Line] = []
        /// The first lines were parsed on the second thread; the rest are left to the folding thread.
        var parsedLines = 0

        /// Room for `capacity` bytes of the file from `fileOffset` on, filled by the scanner's reads.
        init(capacity: Int, fileOffset: UInt64) {
            bytes = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 16)
            self.fileOffset = fileOffset
        }

        deinit { bytes.deallocate() }
    }

    /// The share of each chunk's lines parsed on the second thread; the folding thread parses the rest.
    /// With all of them there, the parser was busy all the time and the folding thread about 40% of it:
    /// two thirds balances the two.
    static let parsedShare = (parser: 2, of: 3)

    /// Below this many bytes to read, a second thread is not worth starting: lines are parsed inline.
    static let threadedFrom: UInt64 = 8 << 20

    /// Calls `body` for every complete line from `offset` on that does not start with `skipping`, with its
    /// offset and fields, in file order, and returns the offset just after the last complete line.
    @discardableResult
    static func scan(
        _ file: URL,
        from offset: UInt64,
        skipping prefix: [UInt8],
        keeping filter: LogSelection.LineFilter? = nil,
        _ body: (UnsafeRawBufferPointer, UInt64, EventFields?) -> Void
    ) -> UInt64 {
        guard let source = LogSource(file), source.size > offset + threadedFrom else {
            return EventLogScanner.scan(file, from: offset) { line, at in
                guard !line.starts(with: prefix), filter?.keeps(line) ?? true else { return }
                body(line, at, EventFields.parse(line))
            }
        }
        let handoff = Handoff<Chunk, UInt64>(limit: 1)
        let parser = Thread {
            // Opened again here: a source serves one reader at a time.
            guard let source = LogSource(file) else { return handoff.finish(offset) }
            // Each chunk is read straight into its own buffer (copying each read into a chunk was 15% of this
            // thread's samples in a perf profile); only a line cut by a read's end moves to the next chunk.
            var chunkSize = 256 << 10
            // The unfinished line at the end of the last chunk: where it starts there, and its length.
            var carried: (chunk: Chunk, start: Int)?
            var carriedBytes = 0
            var next = offset
            while true {
                let chunk = Chunk(capacity: chunkSize, fileOffset: next - UInt64(carriedBytes))
                if let carried, carriedBytes > 0 { chunk.bytes.copyMemory(from: carried.chunk.bytes + carried.start, byteCount: carriedBytes) }
                let n = source.read(into: chunk.bytes + carriedBytes, count: chunkSize - carriedBytes, at: next)
                guard n > 0 else { break }
                next += UInt64(n)
                let filled = carriedBytes + n
                var lineStart = 0
                var lines: [(Int, Int)] = []
                while lineStart < filled, let found = memchr(chunk.bytes + lineStart, 0x0A, filled - lineStart) {
                    let lineEnd = UnsafeMutableRawPointer(found) - chunk.bytes
                    if lineEnd > lineStart { lines.append((lineStart, lineEnd - lineStart)) }
                    lineStart = lineEnd + 1
                }
                carriedBytes = filled - lineStart
                carried = (chunk, lineStart)
                if lines.isEmpty {
                    // A line longer than a chunk (a huge raw body): read it again into a bigger one.
                    if filled == chunkSize { chunkSize *= 2 }
                    continue
                }
                chunk.lines.reserveCapacity(lines.count)
                let parsedHere = lines.count * parsedShare.parser / parsedShare.of
                for (i, (start, count)) in lines.enumerated() {
                    let line = UnsafeRawBufferPointer(start: chunk.bytes + start, count: count)
                    guard !line.starts(with: prefix), filter?.keeps(line) ?? true else { continue }
                    let here = i < parsedHere
                    chunk.lines.append(.init(start: Int32(start), count: Int32(count), fields: here ? EventFields.parse(line) : nil))
                    if here { chunk.parsedLines += 1 }
                }
                if !handoff.put(chunk) { break }
            }
            handoff.finish(next - UInt64(carriedBytes))
        }
        parser.start()
        while true {
            switch handoff.take() {
            case .item(let chunk):
                for (i, line) in chunk.lines.enumerated() {
                    let bytes = UnsafeRawBufferPointer(start: chunk.bytes + Int(line.start), count: Int(line.count))
                    body(bytes, chunk.fileOffset + UInt64(line.start), i < chunk.parsedLines ? line.fields : EventFields.parse(bytes))
                }
            case .done(let end):
                return end
            }
        }
    }
}
