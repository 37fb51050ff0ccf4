import Foundation

/// Small text helpers on the import's hot path, where Foundation's general versions (bridging through
/// NSString) cost more than the rest of a row's handling.
extension String {
    /// Trims ASCII spaces, tabs and line breaks (what spreadsheets pad cells with).
    var trimmedCell: String {
        let bytes = utf8
        guard let first = bytes.first, let last = bytes.last else { return self }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        if !isSpace(first) && !isSpace(last) { return self }
        var start = bytes.startIndex, end = bytes.endIndex
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
