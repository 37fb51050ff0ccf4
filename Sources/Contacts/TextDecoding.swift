import Foundation

/// Turns a spreadsheet export's bytes into text the way Excel wrote them: UTF-8 with or without BOM,
/// UTF-16 LE/BE with BOM ("Unicode text"), else Windows-1252 when the bytes are not valid UTF-8.
public enum TextDecoding {
    public enum Encoding: String, Sendable, Codable { case utf8, utf16le, utf16be, windows1252 }

    public static func decode(_ data: Data) -> (text: String, encoding: Encoding) {
        let bytes = [UInt8](data.prefix(3))
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE,
            let s = String(data: data.dropFirst(2), encoding: .utf16LittleEndian)
        {
            return (s, .utf16le)
        }
        if bytes.count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF,
            let s = String(data: data.dropFirst(2), encoding: .utf16BigEndian)
        {
            return (s, .utf16be)
        }
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...]
        if let s = String(validatingUTF8Data: body) { return (s, .utf8) }
        return (String(data: body, encoding: .windowsCP1252) ?? String(decoding: body, as: UTF8.self), .windows1252)
    }
}

extension String {
    init?(validatingUTF8Data data: Data.SubSequence) {
        guard let s = String(validating: data, as: UTF8.self) else { return nil }
        self = s
    }
}
