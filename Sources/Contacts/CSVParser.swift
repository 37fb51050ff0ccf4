import CCSV
import Foundation

/// The one place libcsv is called. Turns decoded text into rows of fields: quoted fields may hold
/// separators, doubled quotes and line breaks; CRLF and LF both end a row.
public struct CSVParser: Sendable {
    public let delimiter: UInt8

    public init(delimiter: UInt8) { self.delimiter = delimiter }

    /// Picks the separator the header line uses most: comma, semicolon, tab or pipe.
    public static func sniffDelimiter(_ text: Substring) -> UInt8 {
        var firstLine = Substring("")
        var inQuotes = false
        var end = text.startIndex
        for i in text.indices {
            let c = text[i]
            if c == "\"" { inQuotes.toggle() }
            if !inQuotes && (c == "\n" || c == "\r") { break }
            end = text.index(after: i)
        }
        firstLine = text[text.startIndex..<end]
        let candidates: [(Character, UInt8)] = [(",", 0x2C), (";", 0x3B), ("\t", 0x09), ("|", 0x7C)]
        var best: (Int, UInt8) = (0, 0x2C)
        for (ch, byte) in candidates {
            let n = firstLine.filter { $0 == ch }.count
            if n > best.0 { best = (n, byte) }
        }
        return best.1
    }

    /// Parses UTF-8 bytes into records. Record n is row n in Excel (the header is row 1), also when a
    /// quoted field holds line breaks, so receipts can point at the row staff see.
    public func parse(_ bytes: [UInt8]) throws(ContactsError) -> [[String]] {
        let stream = try CSVStream(delimiter: delimiter)
        var rows = try stream.feed(bytes[...])
        rows += try stream.finish()
        return rows
    }
}

/// libcsv fed chunk by chunk, so a file of any size is parsed in constant memory.
public final class CSVStream {
    private var parser = csv_parser()
    private let sink = RowSink()

    public init(delimiter: UInt8) throws(ContactsError) {
        guard csv_init(&parser, UInt8(CSV_APPEND_NULL)) == 0 else { throw .csv(reason: "libcsv could not start") }
        csv_set_delim(&parser, delimiter)
    }

    deinit { csv_free(&parser) }

    private static let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { data, length, context in
        let sink = Unmanaged<RowSink>.fromOpaque(context!).takeUnretainedValue()
        // Limits, so a hostile file costs little before it is refused: the rest of such a row is not kept.
        guard sink.current.count < ContactFile.maxColumns else {
            sink.refusal =
                sink.refusal
                ?? "row \(sink.rowsEnded + 1) has more than \(ContactFile.maxColumns) columns; a contacts file may have at most \(ContactFile.maxColumns)"
            return
        }
        guard length <= ContactFile.maxCellBytes else {
            sink.refusal =
                sink.refusal
                ?? "row \(sink.rowsEnded + 1), column \(sink.current.count + 1): a cell of \(length) bytes; at most \(ContactFile.maxCellBytes / 1024) KiB"
            return
        }
        // A typed UInt8 buffer keeps String's fast UTF-8 path (a raw buffer goes through the slow one).
        sink.current.append(
            data.map { String(decoding: UnsafeBufferPointer(start: $0.assumingMemoryBound(to: UInt8.self), count: length), as: UTF8.self) } ?? ""
        )
    }
    private static let onRow: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
        Unmanaged<RowSink>.fromOpaque(context!).takeUnretainedValue().endRow()
    }

    /// Parses the next bytes; returns the rows they completed.
    public func feed(_ bytes: ArraySlice<UInt8>) throws(ContactsError) -> [[String]] {
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let consumed = bytes.withUnsafeBytes { csv_parse(&parser, $0.baseAddress, $0.count, Self.onField, Self.onRow, context) }
        if consumed != bytes.count { throw .csv(reason: String(cString: csv_strerror(csv_error(&parser)))) }
        if let refusal = sink.refusal { throw .csv(reason: refusal) }
        return sink.take()
    }

    /// Ends the input: a last row without a line break is completed.
    public func finish() throws(ContactsError) -> [[String]] {
        let context = Unmanaged.passUnretained(sink).toOpaque()
        if csv_fini(&parser, Self.onField, Self.onRow, context) != 0 { throw .csv(reason: String(cString: csv_strerror(csv_error(&parser)))) }
        if let refusal = sink.refusal { throw .csv(reason: refusal) }
        return sink.take()
    }
}

/// Collects libcsv's callbacks into rows.
private final class RowSink {
    var rows: [[String]] = []
    var current: [String] = []
    var rowsEnded = 0
    /// Set when a row broke a limit; the stream then throws it.
    var refusal: String?

    func endRow() {
        rowsEnded += 1
        rows.append(current)
        let width = current.count
        current = []
        current.reserveCapacity(width)
    }

    func take() -> [[String]] {
        defer { rows.removeAll(keepingCapacity: true) }
        return rows
    }
}
