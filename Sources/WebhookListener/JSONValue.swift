import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// A parsed JSON document, read straight from the body's bytes. Foundation's JSONSerialization was a
/// fifth of the listener's CPU (it builds bridged dictionaries and casts every value out of `Any`); a
/// webhook needs only a few fields of small objects, so objects keep their members in order and are
/// searched linearly.
enum JSONValue: Equatable {
    /// A struct, not a tuple: an array of tuples looks its type metadata up at run time on every use.
    struct Member: Equatable {
        var key: String
        var value: JSONValue
    }

    case object([Member])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// The member named `key` of an object (the first one: Meta never repeats a key).
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var objects: [JSONValue] {
        guard case .array(let items) = self else { return [] }
        return items.filter { if case .object = $0 { true } else { false } }
    }
    var isObject: Bool { if case .object = self { true } else { false } }
    /// A whole number written as a number or as a string of digits (Meta sends timestamps as strings).
    var integer: Int? {
        switch self {
        case .number(let d) where d == d.rounded() && abs(d) < 9.0e15: Int(d)
        case .string(let s): Int(s)
        default: nil
        }
    }

    /// Parses a whole document: one value, surrounded only by whitespace. Nil for anything that is not JSON.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(bytes: buffer)
            guard let value = reader.value(depth: 0) else { return nil }
            reader.skipWhitespace()
            return reader.at == buffer.count ? value : nil
        }
    }
}

/// A recursive-descent reader over the bytes (RFC 8259). Nesting is capped so a hostile body cannot
/// exhaust the stack.
private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0
    static let maxDepth = 256

    mutating func skipWhitespace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x0A, 0x0D, 0x09: at += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) -> JSONValue? {
        skipWhitespace()
        guard at < bytes.count, depth < Self.maxDepth else { return nil }
        switch bytes[at] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return number()
        }
    }

    mutating func object(depth: Int) -> JSONValue? {
        at += 1
        var members: [JSONValue.Member] = []
        skipWhitespace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
            at += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { return nil }
            at += 1
            guard let value = value(depth: depth + 1) else { return nil }
            members.append(.init(key: key, value: value))
            skipWhitespace()
            guard at < bytes.count else { return nil }
            if bytes[at] == UInt8(ascii: ",") {
                at += 1
                continue
            }
            guard bytes[at] == UInt8(ascii: "}") else { return nil }
            at += 1
            return .object(members)
        }
    }

    mutating func array(depth: Int) -> JSONValue? {
        at += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
            at += 1
            return .array(items)
        }
        while true {
            guard let item = value(depth: depth + 1) else { return nil }
            items.append(item)
            skipWhitespace()
            guard at < bytes.count else { return nil }
            if bytes[at] == UInt8(ascii: ",") {
                at += 1
                continue
            }
            guard bytes[at] == UInt8(ascii: "]") else { return nil }
            at += 1
            return .array(items)
        }
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard at + n <= bytes.count, memcmp(bytes.baseAddress! + at, word.utf8Start, n) == 0 else { return false }
        at += n
        return true
    }

    mutating func number() -> JSONValue? {
        let start = at
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        // JSON's grammar: no leading zeros, digits required on both sides of the point and after the exponent.
        guard digits(allowLeadingZero: false) else { return nil }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard digits(allowLeadingZero: true) else { return nil }
        }
        if at < bytes.count, bytes[at] | 0x20 == UInt8(ascii: "e") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits(allowLeadingZero: true) else { return nil }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        return Double(text).map(JSONValue.number)
    }

    mutating func digits(allowLeadingZero: Bool) -> Bool {
        let start = at
        while at < bytes.count, bytes[at] &- UInt8(ascii: "0") < 10 { at += 1 }
        if at == start { return false }
        return allowLeadingZero || at - start == 1 || bytes[start] != UInt8(ascii: "0")
    }

    /// A string starting at its opening quote. Runs without escapes are taken whole; invalid UTF-8 is refused.
    mutating func string() -> String? {
        at += 1
        let start = at
        var ascii = true
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[start..<at])
                at += 1
                return ascii ? String(decoding: run, as: UTF8.self) : Self.validated(run)
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            if byte < 0x20 { return nil }
            ascii = ascii && byte < 0x80
            at += 1
        }
        return nil
    }

    /// The text of UTF-8 bytes, or nil when they are not valid UTF-8. (`String(validating:)` runs
    /// unspecialized here and looked up generic metadata on every call.)
    static func validated(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: utf8, as: UTF8.self)
        // Decoding replaces each invalid sequence with U+FFFD, so the bytes come back unchanged only if valid.
        return text.utf8.elementsEqual(utf8) ? text : nil
    }

    /// A string with escapes, from just past its opening quote: decoded by the shared strict rules.
    mutating func escapedString(from start: Int) -> String? {
        let raw = UnsafeRawBufferPointer(bytes)
        guard let (end, _) = JSONEscape.end(of: raw, from: start) else { return nil }
        at = end
        return JSONEscape.decode(UnsafeRawBufferPointer(rebasing: raw[start..<(end - 1)]), mode: .strict)
    }

}
