import Foundation

/// Texts that repeat across messages (campaign ids, error titles, pricing categories), stored once;
/// index 0 means none. The last lookup is remembered: consecutive lines mostly carry the same values.
struct InternTable: Sendable {
    private(set) var values: [String] = []
    /// The two parts of each pair entry, split once here rather than on every read.
    private var pairs: [(String?, String?)] = []
    private var index: [String: UInt32] = [:]
    private var lastBytes: [UInt8] = []
    private var lastIndex: UInt32 = 0

    func index(of value: String) -> UInt32? { index[value] }
    func value(_ i: UInt32) -> String { values[Int(i - 1)] }
    func pair(_ i: UInt32) -> (String?, String?) { pairs[Int(i - 1)] }

    mutating func intern(_ value: String, pair: (String?, String?) = (nil, nil)) -> UInt32 {
        if let known = index[value] { return known }
        values.append(value)
        pairs.append(pair)
        index[value] = UInt32(values.count)
        return UInt32(values.count)
    }

    mutating func intern(_ text: EventFields.Text, in line: UnsafeRawBufferPointer) -> UInt32 {
        let bytes = UnsafeRawBufferPointer(rebasing: line[text.start..<text.end])
        if lastIndex != 0, !text.escaped, lastBytes.count == bytes.count,
            lastBytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 })
        {
            return lastIndex
        }
        let i = intern(EventFields.string(text, in: line))
        if !text.escaped {
            lastBytes = Array(bytes)
            lastIndex = i
        }
        return i
    }

    /// Two optional texts as one entry (an error's title and details, a price's category and type).
    mutating func intern(pair first: EventFields.Text?, _ second: EventFields.Text?, in line: UnsafeRawBufferPointer) -> UInt32 {
        // The key: each part as its raw bytes (or a marker for none), joined by a byte no text holds.
        // Compared with the last key in place first: most lines repeat the previous line's pair.
        func matches(_ part: EventFields.Text?, at pos: inout Int) -> Bool {
            guard pos < lastBytes.count else { return false }
            guard let t = part else {
                defer { pos += 2 }
                return lastBytes[pos] == 0 && pos + 1 < lastBytes.count && lastBytes[pos + 1] == 0xFF
            }
            let n = t.end - t.start
            guard lastBytes[pos] == (t.escaped ? 2 : 1), pos + 1 + n < lastBytes.count, lastBytes[pos + 1 + n] == 0xFF,
                lastBytes.withUnsafeBytes({ memcmp($0.baseAddress! + pos + 1, line.baseAddress! + t.start, n) == 0 })
            else { return false }
            pos += n + 2
            return true
        }
        var pos = 0
        if lastIndex != 0, matches(first, at: &pos), matches(second, at: &pos), pos == lastBytes.count { return lastIndex }
        var key: [UInt8] = []
        for part in [first, second] {
            if let t = part { key += [t.escaped ? 2 : 1] + line[t.start..<t.end] } else { key.append(0) }
            key.append(0xFF)
        }
        let a = first.map { EventFields.string($0, in: line) }
        let b = second.map { EventFields.string($0, in: line) }
        let i = intern(String(decoding: key.map { $0 == 0xFF ? 0x1F : $0 }, as: UTF8.self), pair: (a, b))
        lastBytes = key
        lastIndex = i
        return i
    }
}
