#if canImport(Glibc)
import Glibc
#endif

/// A JSON document checked by `JSONValue`'s grammar and strictness (the same `JSONCursor`, invalid UTF-8
/// refused) but kept as a flat list of where its values sit in the bytes, texts made only when asked for.
/// The webhook listener reads a status batch's few fields through it: building `JSONValue`'s tree (an array
/// per object, a string per member) was its largest cost per request.
///
/// An object's entry is followed by its members' keys and values, an array's by its items; each entry knows
/// the index past everything it holds, so a value is skipped in one step.
public struct JSONTape: Sendable {
    public enum Kind: UInt8, Sendable {
        case object, array, string, number, bool, null
    }

    public struct Entry: Sendable {
        public var kind: Kind
        /// A string holding an escape (its text must be decoded).
        public var escaped: Bool
        /// A string of ASCII bytes only.
        public var ascii: Bool
        /// A string's content (between its quotes); any other value's bytes.
        public var start: Int32
        public var end: Int32
        /// The index of the entry after this value and all it holds.
        public var next: Int32
    }

    public private(set) var entries: [Entry] = []

    /// Parses a whole document (one value, surrounded only by whitespace); nil for anything `JSONValue.parse`
    /// refuses. Documents over 2 GB are refused (positions are 32-bit).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONTape? {
        guard bytes.count < Int(Int32.max) else { return nil }
        var tape = JSONTape()
        tape.entries.reserveCapacity(bytes.count / 12)
        var cursor = JSONCursor(bytes)
        guard tape.value(&cursor, depth: 0) else { return nil }
        cursor.skipSpace()
        return cursor.atEnd ? tape : nil
    }

    private mutating func value(_ cursor: inout JSONCursor, depth: Int) -> Bool {
        cursor.skipSpace()
        guard let byte = cursor.peek, depth < JSONValue.maxDepth else { return false }
        let start = cursor.at
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = byte == UInt8(ascii: "{")
            let index = entries.count
            entries.append(Entry(kind: isObject ? .object : .array, escaped: false, ascii: true, start: Int32(start), end: 0, next: 0))
            cursor.at += 1
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            cursor.skipSpace()
            if !cursor.take(close) {
                while true {
                    if isObject {
                        cursor.skipSpace()
                        guard cursor.peek == UInt8(ascii: "\""), string(&cursor) else { return false }
                        cursor.skipSpace()
                        guard cursor.take(UInt8(ascii: ":")) else { return false }
                    }
                    guard value(&cursor, depth: depth + 1) else { return false }
                    cursor.skipSpace()
                    if cursor.take(UInt8(ascii: ",")) { continue }
                    guard cursor.take(close) else { return false }
                    break
                }
            }
            entries[index].end = Int32(cursor.at)
            entries[index].next = Int32(entries.count)
            return true
        case UInt8(ascii: "\""):
            return string(&cursor)
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            guard cursor.take(literal: "true") || cursor.take(literal: "false") else { return false }
            return scalar(.bool, from: start, to: cursor.at)
        case UInt8(ascii: "n"):
            guard cursor.takeNull() else { return false }
            return scalar(.null, from: start, to: cursor.at)
        default:
            guard cursor.number() != nil else { return false }
            return scalar(.number, from: start, to: cursor.at)
        }
    }

    private mutating func scalar(_ kind: Kind, from start: Int, to end: Int) -> Bool {
        entries.append(Entry(kind: kind, escaped: false, ascii: true, start: Int32(start), end: Int32(end), next: Int32(entries.count + 1)))
        return true
    }

    private mutating func string(_ cursor: inout JSONCursor) -> Bool {
        guard let extent = cursor.stringExtent() else { return false }
        // As strict as JSONValue: an escape or a byte above 0x7F must decode to valid text.
        if extent.escaped || !extent.ascii, cursor.text(of: extent, .strict) == nil { return false }
        entries.append(
            Entry(
                kind: .string,
                escaped: extent.escaped,
                ascii: extent.ascii,
                start: Int32(extent.start),
                end: Int32(extent.end),
                next: Int32(entries.count + 1)
            )
        )
        return true
    }

    // MARK: reading

    /// The value of the first member of object `object` named `key` (as `JSONValue`'s subscript finds it).
    public func member(_ object: Int, _ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard entries[object].kind == .object else { return nil }
        var i = object + 1
        let end = Int(entries[object].next)
        while i < end {
            if names(i, key, in: bytes) { return i + 1 }
            i = Int(entries[i + 1].next)
        }
        return nil
    }

    /// Whether the key (or string) at `index` is `key`.
    public func names(_ index: Int, _ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Bool {
        let e = entries[index]
        guard e.kind == .string else { return false }
        if e.escaped {
            return text(index, in: bytes)
                == String(decoding: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount), as: UTF8.self)
        }
        let count = Int(e.end - e.start)
        guard count == key.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress! + Int(e.start), key.utf8Start, count) == 0
    }

    /// The items of array `array`.
    public func items(_ array: Int) -> [Int] {
        guard entries[array].kind == .array else { return [] }
        var out: [Int] = []
        var i = array + 1
        let end = Int(entries[array].next)
        while i < end {
            out.append(i)
            i = Int(entries[i].next)
        }
        return out
    }

    /// A string's text (escapes decoded); nil for any other value.
    public func text(_ index: Int, in bytes: UnsafeRawBufferPointer) -> String? {
        let e = entries[index]
        guard e.kind == .string else { return nil }
        return JSONCursor(bytes).text(of: .init(start: Int(e.start), end: Int(e.end), escaped: e.escaped, ascii: e.ascii), .strict)
    }

    /// A string's bytes as they stand between its quotes, when they are its text: no escape, ASCII only.
    public func plainBytes(_ index: Int, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let e = entries[index]
        guard e.kind == .string, !e.escaped, e.ascii else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[Int(e.start)..<Int(e.end)])
    }
}
