import Foundation
import WabulkBase

/// Small text helpers on the import's hot path, where Foundation's general versions (bridging through
/// NSString) cost more than the rest of a row's handling.
extension String {
    /// Trims ASCII spaces, tabs and line breaks (what spreadsheets pad cells with).
    var trimmedCell: String {
        let bytes = utf8
        guard let first = bytes.first, let last = bytes.last else { return self }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        if !isSpace(first) && !isSpace(last) { return self }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(self[start..<end])
    }

    var isBlankCell: Bool { utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D } }
}

/// JSON for the registry's tags and fields columns, written by hand: JSONEncoder's generic machinery
/// was a large share of a million-row import.
enum CompactJSON {
    static func array(_ items: [String]) -> String {
        var out = "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            quote(item, into: &out)
        }
        return out + "]"
    }

    static func object(_ pairs: [String: String]) -> String {
        var out = "{"
        for (i, key) in pairs.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            quote(key, into: &out)
            out += ":"
            quote(pairs[key]!, into: &out)
        }
        return out + "}"
    }

    static func quote(_ s: String, into out: inout String) {
        // Nearly every name, tag and field needs no escaping: copy it whole, without a string in between.
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            out += "\""
            out += s
            out += "\""
            return
        }
        out += JSONEscape.quoted(s)
    }
}

extension CompactJSON {
    /// Reads a JSON array of strings (a tags column); nil for anything else, so callers can fall back to a
    /// general decoder. A re-import reads every stored contact's tags and fields back: Foundation's decoder
    /// was most of that.
    static func strings(_ text: String) -> [String]? {
        strings(text, open: UInt8(ascii: "["), close: UInt8(ascii: "]"))
    }

    /// Reads a JSON object whose values are all strings (a fields column); nil for anything else.
    static func stringObject(_ text: String) -> [String: String]? {
        guard let flat = strings(text, open: UInt8(ascii: "{"), close: UInt8(ascii: "}")), flat.count % 2 == 0 else { return nil }
        var object: [String: String] = [:]
        object.reserveCapacity(flat.count / 2)
        for i in stride(from: 0, to: flat.count, by: 2) { object[flat[i]] = flat[i + 1] }
        return object
    }

    /// `[ "a", "b" ]` or `{ "k": "v", … }` (keys and values alternate in the result), read strictly by the
    /// shared cursor.
    private static func strings(_ text: String, open: UInt8, close: UInt8) -> [String]? {
        var text = text
        return text.withUTF8 { utf8 -> [String]? in
            var cursor = JSONCursor(UnsafeRawBufferPointer(utf8))
            cursor.skipSpace()
            guard cursor.take(open) else { return nil }
            var out: [String] = []
            cursor.skipSpace()
            if !cursor.take(close) {
                while true {
                    cursor.skipSpace()
                    guard let s = cursor.string(.strict) else { return nil }
                    out.append(s)
                    cursor.skipSpace()
                    let separator = open == UInt8(ascii: "{") && out.count % 2 == 1 ? UInt8(ascii: ":") : UInt8(ascii: ",")
                    if cursor.take(separator) { continue }
                    guard separator == UInt8(ascii: ","), cursor.take(close) else { return nil }
                    break
                }
            }
            cursor.skipSpace()
            return cursor.atEnd ? out : nil
        }
    }
}
