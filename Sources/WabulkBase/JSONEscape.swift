/// The one set of JSON string escape rules (RFC 8259 §7) for wabulk's byte-level readers: the webhook
/// listener's, the event log's and the contacts registry's. `strict` refuses what is not JSON (an unknown
/// escape, a lone surrogate, a raw control character, invalid UTF-8); `lenient` keeps whatever it can (an
/// unknown escape as its character, a lone surrogate or bad hex as U+FFFD, invalid UTF-8 replaced), for a
/// log line that must never be lost over one odd character.
public enum JSONEscape {
    public enum Mode: Sendable {
        case strict
        case lenient
    }

    /// The index just past a string's closing quote, given the index just past its opening one; nil when the
    /// string does not end. `escaped` says whether a backslash was seen (then `decode` is needed).
    public static func end(
        of bytes: UnsafeRawBufferPointer,
        from start: Int
    ) -> (end: Int, escaped: Bool)? {
        var i = start
        var escaped = false
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""): return (i + 1, escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                i += 2
            default: i += 1
            }
        }
        return nil
    }

    /// The text of a string's content (the bytes between its quotes), escapes decoded.
    public static func decode(_ content: UnsafeRawBufferPointer, mode: Mode) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(content.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= content.count else { return nil }
            var value: UInt32 = 0
            for k in at..<(at + 4) {
                let b = content[k]
                let digit: UInt8
                switch b {
                case 0x30...0x39: digit = b - 0x30
                case 0x41...0x46: digit = b - 0x41 + 10
                case 0x61...0x66: digit = b - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        func append(_ scalar: Unicode.Scalar) { out.append(contentsOf: UTF8.encode(scalar)!) }
        let replacement = Unicode.Scalar(0xFFFD)!
        while i < content.count {
            let b = content[i]
            if b < 0x20, mode == .strict { return nil }
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < content.count else { return mode == .strict ? nil : String(decoding: out, as: UTF8.self) }
            let e = content[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else {
                    if mode == .strict { return nil }
                    append(replacement)
                    continue
                }
                i += 4
                if scalar & 0xFC00 == 0xD800 {
                    // A high surrogate must be followed by its low half.
                    if i + 6 <= content.count, content[i] == UInt8(ascii: "\\"), content[i + 1] == UInt8(ascii: "u"),
                        let low = hex4(i + 2), low & 0xFC00 == 0xDC00
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else if mode == .strict {
                        return nil
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar & 0xFC00 == 0xDC00 {
                    if mode == .strict { return nil }
                    scalar = 0xFFFD
                }
                append(Unicode.Scalar(scalar) ?? replacement)
            default:
                if mode == .strict { return nil }
                out.append(e)
            }
        }
        let text = String(decoding: out, as: UTF8.self)
        // Decoding replaces each invalid sequence with U+FFFD, so the bytes come back unchanged only if valid.
        if mode == .strict, !text.utf8.elementsEqual(out) { return nil }
        return text
    }
}
