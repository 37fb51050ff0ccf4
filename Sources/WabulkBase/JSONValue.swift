import Foundation

/// A parsed JSON document, read straight from its bytes by `JSONCursor`. Foundation's JSONSerialization was a
/// fifth of the listener's CPU (it builds bridged dictionaries and casts every value out of `Any`); a webhook
/// needs only a few fields of small objects, so objects keep their members in order and are searched
/// linearly. Files staff drop (manifests, control and share requests) are read with it too, strictly: one
/// reader, one set of rules, and a duplicated key can be told apart from a repeated one.
public enum JSONValue: Equatable, Sendable {
    /// A struct, not a tuple: an array of tuples looks its type metadata up at run time on every use.
    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    case object([Member])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// Nesting deeper than this is refused, so a hostile body cannot exhaust the stack.
    public static let maxDepth = 256

    /// The member named `key` of an object (the first one).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var number: Double? { if case .number(let d) = self { d } else { nil } }
    public var members: [Member]? { if case .object(let m) = self { m } else { nil } }
    public var items: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objects: [JSONValue] { (items ?? []).filter(\.isObject) }
    public var isObject: Bool { if case .object = self { true } else { false } }
    public var isNull: Bool { self == .null }
    /// A whole number written as a number or as a string of digits (Meta sends timestamps as strings).
    public var integer: Int? {
        switch self {
        case .number(let d) where d == d.rounded() && abs(d) < 9.0e15: Int(d)
        case .string(let s): Int(s)
        default: nil
        }
    }

    /// A scalar as staff would read it (a whole number without a fraction, `true`, nothing for null); an
    /// array or object as its JSON.
    public var plainText: String {
        switch self {
        case .string(let s): return s
        case .number(let d): return d == d.rounded() && abs(d) < 9.0e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { JSONEscape.quoted($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
        }
    }

    /// The value written back as compact JSON.
    public var json: String {
        guard case .string(let s) = self else { return plainText }
        return JSONEscape.quoted(s)
    }

    /// Parses a whole document: one value, surrounded only by whitespace. Nil for anything that is not JSON.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        var cursor = JSONCursor(bytes)
        guard let value = value(&cursor, depth: 0) else { return nil }
        cursor.skipSpace()
        return cursor.atEnd ? value : nil
    }

    public static func parse(_ bytes: [UInt8]) -> JSONValue? { bytes.withUnsafeBytes { parse($0) } }

    public static func parse<Bytes: ContiguousBytes>(bytes: Bytes) -> JSONValue? { bytes.withUnsafeBytes { parse($0) } }

    private static func value(_ cursor: inout JSONCursor, depth: Int) -> JSONValue? {
        cursor.skipSpace()
        guard let byte = cursor.peek, depth < maxDepth else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object(&cursor, depth: depth)
        case UInt8(ascii: "["): return array(&cursor, depth: depth)
        case UInt8(ascii: "\""): return cursor.string(.strict).map(JSONValue.string)
        case UInt8(ascii: "t"): return cursor.take(literal: "true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return cursor.take(literal: "false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return cursor.takeNull() ? .null : nil
        default: return cursor.number().map(JSONValue.number)
        }
    }

    private static func object(_ cursor: inout JSONCursor, depth: Int) -> JSONValue? {
        _ = cursor.take(UInt8(ascii: "{"))
        var members: [Member] = []
        cursor.skipSpace()
        if cursor.take(UInt8(ascii: "}")) { return .object(members) }
        while true {
            cursor.skipSpace()
            guard let key = cursor.string(.strict) else { return nil }
            cursor.skipSpace()
            guard cursor.take(UInt8(ascii: ":")), let value = value(&cursor, depth: depth + 1) else { return nil }
            members.append(Member(key: key, value: value))
            cursor.skipSpace()
            if cursor.take(UInt8(ascii: ",")) { continue }
            return cursor.take(UInt8(ascii: "}")) ? .object(members) : nil
        }
    }

    private static func array(_ cursor: inout JSONCursor, depth: Int) -> JSONValue? {
        _ = cursor.take(UInt8(ascii: "["))
        var items: [JSONValue] = []
        cursor.skipSpace()
        if cursor.take(UInt8(ascii: "]")) { return .array(items) }
        while true {
            guard let item = value(&cursor, depth: depth + 1) else { return nil }
            items.append(item)
            cursor.skipSpace()
            if cursor.take(UInt8(ascii: ",")) { continue }
            return cursor.take(UInt8(ascii: "]")) ? .array(items) : nil
        }
    }
}
