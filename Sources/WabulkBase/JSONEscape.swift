/// The one set of JSON string escape rules (RFC 8259 §7), for `JSONCursor` (which every byte-level reader
/// in wabulk is built on) and for the writers. `strict` refuses what is not JSON (an unknown
/// escape, a lone surrogate, a raw control character, invalid UTF-8); `lenient` keeps whatever it can (an
/// unknown escape as its character, a lone surrogate or bad hex as U+FFFD, invalid UTF-8 replaced), for a
/// log line that must never be lost over one odd character.
public enum JSONEscape {
    public enum Mode: Sendable {
        case strict
        case lenient
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

    /// A string written as JSON, with its quotes: the writing half of the same rules (the event log's writer,
    /// the contacts registry's columns). Runs of bytes that need no escape are copied whole: a raw webhook
    /// body is mostly such a run.
    @inlinable
    public static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            for i in 0..<bytes.count {
                let byte = bytes[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                escape(byte, into: &out)
                runStart = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A string written as JSON, with its quotes.
    public static func quoted(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + s + "\"" }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 8)
        quote(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @inlinable
    static func escape(_ byte: UInt8, into out: inout [UInt8]) {
        // Byte by byte: an array literal per escape allocated, and a raw body holds a hundred quotes.
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? nibble + UInt8(ascii: "0") : nibble - 10 + UInt8(ascii: "a") }
            out.append(UInt8(ascii: "u"))
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0"))
            out.append(hex(byte >> 4))
            out.append(hex(byte & 0xF))
        }
    }
}
