/// The one byte-level JSON reader: a read position over a document's bytes (RFC 8259) with the pieces every
/// reader in wabulk needs — whitespace, punctuation, literals, a string's extent, integers and numbers. The
/// webhook listener's `JSONValue`, the event log's flat-line reader and the contacts registry's columns are
/// all built on it, so there is one set of grammar and escape rules (`JSONEscape`), with a strict or lenient
/// decoding chosen by the caller.
///
/// Inlinable: the event log's fold calls it for every field of every line, and a call across the module
/// boundary per field cost a tenth of a report's time.
@frozen
public struct JSONCursor {
    /// Where a string's content sits (between its quotes) and whether it holds an escape.
    @frozen
    public struct Extent: Equatable {
        public var start: Int
        public var end: Int
        public var escaped: Bool
        /// No byte above 0x7F: the text needs no UTF-8 check.
        public var ascii: Bool
        @inlinable
        public init(start: Int, end: Int, escaped: Bool, ascii: Bool = false) {
            self.start = start
            self.end = end
            self.escaped = escaped
            self.ascii = ascii
        }

        @inlinable
        public static func == (a: Extent, b: Extent) -> Bool { a.start == b.start && a.end == b.end && a.escaped == b.escaped }
    }

    public let bytes: UnsafeRawBufferPointer
    public var at: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, at: Int = 0) {
        self.bytes = bytes
        self.at = at
    }

    @inlinable public var atEnd: Bool { at >= bytes.count }
    @inlinable public var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    @inlinable
    public mutating func skipSpace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x0A, 0x0D, 0x09: at += 1
            default: return
            }
        }
    }

    @inlinable
    public mutating func take(_ byte: UInt8) -> Bool {
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    /// `true`, `false` or `null` at the position.
    @inlinable
    public mutating func take(literal word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard at + n <= bytes.count else { return false }
        for k in 0..<n where bytes[at + k] != word.utf8Start[k] { return false }
        at += n
        return true
    }

    @inlinable
    public mutating func takeNull() -> Bool { take(literal: "null") }

    /// A quoted string's extent, from its opening quote; nil when unterminated or holding a raw control byte.
    @inlinable
    public mutating func stringExtent() -> Extent? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = at
        let count = bytes.count
        guard let raw = bytes.baseAddress else { return nil }
        var escaped = false
        var high: UInt64 = 0
        // Eight bytes at a time while none of them is a quote, a backslash or a control byte (most of a
        // log line's bytes), then byte by byte; this loop was most of a report's fold.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while at + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let quote = Self.zeroByte(word ^ (ones &* 0x22))
            let backslash = Self.zeroByte(word ^ (ones &* 0x5C))
            let control = (word &- ones &* 0x20) & ~word & highs
            if quote | backslash | control != 0 { break }
            high |= word & highs
            at += 8
        }
        while at < count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                at += 1
                return Extent(start: start, end: at - 1, escaped: escaped, ascii: high == 0)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                at += 2
                continue
            }
            if byte < 0x20 { return nil }
            high |= UInt64(byte & 0x80)
            at += 1
        }
        return nil
    }

    /// Non-zero when some byte of `x` is zero.
    @inlinable
    static func zeroByte(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// A quoted string's text, escapes decoded by `mode`. Strict also refuses invalid UTF-8.
    @inlinable
    public mutating func string(_ mode: JSONEscape.Mode) -> String? {
        guard let extent = stringExtent() else { return nil }
        return text(of: extent, mode)
    }

    /// The text of a string found earlier in the same bytes.
    @inlinable
    public func text(of extent: Extent, _ mode: JSONEscape.Mode) -> String? {
        let content = UnsafeRawBufferPointer(rebasing: bytes[extent.start..<extent.end])
        if extent.escaped { return JSONEscape.decode(content, mode: mode) }
        let text = String(decoding: content, as: UTF8.self)
        // Decoding replaces each invalid sequence with U+FFFD, so the bytes come back unchanged only if valid.
        if mode == .strict, !extent.ascii, !text.utf8.elementsEqual(content) { return nil }
        return text
    }

    /// An integer; nil for fractions, exponents and overflow (the position is then undefined).
    @inlinable
    public mutating func integer() -> Int? {
        var negative = false
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") {
            negative = true
            at += 1
        }
        var value = 0
        var digits = 0
        while at < bytes.count, bytes[at] &- 0x30 < 10 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(bytes[at] &- 0x30))
            guard !o1, !o2 else { return nil }
            value = sum
            digits += 1
            at += 1
        }
        guard digits > 0 else { return nil }
        if let next = peek, next == UInt8(ascii: ".") || next | 0x20 == UInt8(ascii: "e") { return nil }
        return negative ? -value : value
    }

    /// Any JSON number, by JSON's grammar (no leading zeros; digits on both sides of a point and after an
    /// exponent).
    public mutating func number() -> Double? {
        let start = at
        _ = take(UInt8(ascii: "-"))
        guard digits(allowLeadingZero: false) else { return nil }
        if take(UInt8(ascii: ".")) {
            guard digits(allowLeadingZero: true) else { return nil }
        }
        if let e = peek, e | 0x20 == UInt8(ascii: "e") {
            at += 1
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits(allowLeadingZero: true) else { return nil }
        }
        return Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self))
    }

    private mutating func digits(allowLeadingZero: Bool) -> Bool {
        let start = at
        while at < bytes.count, bytes[at] &- UInt8(ascii: "0") < 10 { at += 1 }
        if at == start { return false }
        return allowLeadingZero || at - start == 1 || bytes[start] != UInt8(ascii: "0")
    }
}
