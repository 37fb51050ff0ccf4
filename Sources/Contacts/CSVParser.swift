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
        var parser = csv_parser()
        guard csv_init(&parser, UInt8(CSV_APPEND_NULL)) == 0 else { throw .csv(reason: "libcsv could not start") }
        defer { csv_free(&parser) }
        csv_set_delim(&parser, delimiter)
        let sink = RowSink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { data, length, context in
            let sink = Unmanaged<RowSink>.fromOpaque(context!).takeUnretainedValue()
            sink.current.append(data.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) } ?? "")
        }
        let onRow: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
            let sink = Unmanaged<RowSink>.fromOpaque(context!).takeUnretainedValue()
            sink.endRow()
        }
        let failure: String? = withExtendedLifetime(sink) {
            let consumed = bytes.withUnsafeBytes { csv_parse(&parser, $0.baseAddress, $0.count, onField, onRow, context) }
            if consumed != bytes.count { return String(cString: csv_strerror(csv_error(&parser))) }
            if csv_fini(&parser, onField, onRow, context) != 0 { return String(cString: csv_strerror(csv_error(&parser))) }
            return nil
        }
        if let failure { throw .csv(reason: failure) }
        return sink.rows
    }
}

/// Collects libcsv's callbacks into rows.
private final class RowSink {
    var rows: [[String]] = []
    var current: [String] = []

    func endRow() {
        rows.append(current)
        current.removeAll(keepingCapacity: true)
    }
}
