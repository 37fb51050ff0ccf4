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
        out += "\""
        // Nearly every name, tag and field needs no escaping: copy it whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension CompactJSON {
    /// Reads a JSON array of strings (a tags column); nil for anything else, so callers can fall back to a
    /// general decoder. A re-import reads every stored contact's tags and fields back: Foundation's decoder
    /// was most of that.
    static func strings(_ text: String) -> [String]? {
        var reader = Reader(text)
        return reader.strings(open: 0x5B, close: 0x5D)
    }

    /// Reads a JSON object whose values are all strings (a fields column); nil for anything else.
    static func stringObject(_ text: String) -> [String: String]? {
        var reader = Reader(text)
        guard let flat = reader.strings(open: 0x7B, close: 0x7D), flat.count % 2 == 0 else { return nil }
        var object: [String: String] = [:]
        object.reserveCapacity(flat.count / 2)
        for i in stride(from: 0, to: flat.count, by: 2) { object[flat[i]] = flat[i + 1] }
        return object
    }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0
        init(_ text: String) { bytes = Array(text.utf8) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        /// `[ "a", "b" ]` or `{ "k": "v", … }` (keys and values alternate in the result).
        mutating func strings(open: UInt8, close: UInt8) -> [String]? {
            skipSpace()
            guard i < bytes.count, bytes[i] == open else { return nil }
            i += 1
            var out: [String] = []
            skipSpace()
            if i < bytes.count, bytes[i] == close {
                i += 1
            } else {
                while true {
                    guard let s = string() else { return nil }
                    out.append(s)
                    skipSpace()
                    guard i < bytes.count else { return nil }
                    let separator = open == 0x7B && out.count % 2 == 1 ? UInt8(0x3A) : UInt8(0x2C)
                    if bytes[i] == separator {
                        i += 1
                        skipSpace()
                        continue
                    }
                    if bytes[i] == close && separator == 0x2C {
                        i += 1
                        break
                    }
                    return nil
                }
            }
            skipSpace()
            return i == bytes.count ? out : nil
        }

        /// A string at its opening quote, decoded by the shared strict rules (WabulkBase's `JSONEscape`).
        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == 0x22 else { return nil }
            let start = i + 1
            return bytes.withUnsafeBytes { raw -> String? in
                guard let (end, escaped) = JSONEscape.end(of: raw, from: start) else { return nil }
                i = end
                let content = UnsafeRawBufferPointer(rebasing: raw[start..<(end - 1)])
                return escaped ? JSONEscape.decode(content, mode: .strict) : String(decoding: content, as: UTF8.self)
            }
        }
    }
}
