import Foundation

/// A first pass over a contacts file: its fingerprint, its encoding, and the start of its text for
/// sniffing the separator. Reads in chunks, so a huge file costs no memory.
struct ContactFile {
    /// Columns a contacts row may have: a header of a million columns made a million-entry dictionary a row.
    static let maxColumns = 1_000
    /// Bytes a cell may hold: no name, phone or custom field comes near it; a 100 MB cell is an attack or an accident.
    static let maxCellBytes = 64 * 1024

    let url: URL
    let fingerprint: String
    let encoding: TextDecoding.Encoding
    let hasBOM: Bool
    let head: String

    init(url: URL, displayName: String) throws(ContactsError) {
        self.url = url
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw .unsupportedFormat(file: displayName, reason: "cannot be read")
        }
        defer { try? handle.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var total = 0
        var first = Data()
        var validator = UTF8Validator()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { raw in
                for byte in raw {
                    hash ^= UInt64(byte)
                    hash = hash &* 0x0000_0100_0000_01B3
                }
                validator.feed(raw)
            }
            if first.count < 65_536 { first.append(chunk.prefix(65_536 - first.count)) }
            total += chunk.count
        }
        validator.finish()
        fingerprint = String(hash, radix: 16) + "-" + String(total)
        let b = [UInt8](first.prefix(3))
        if b.count >= 2, b[0] == 0xFF, b[1] == 0xFE {
            encoding = .utf16le
            hasBOM = true
        } else if b.count >= 2, b[0] == 0xFE, b[1] == 0xFF {
            encoding = .utf16be
            hasBOM = true
        } else {
            hasBOM = b.starts(with: [0xEF, 0xBB, 0xBF])
            encoding = validator.isValid ? .utf8 : .windows1252
        }
        switch encoding {
        case .utf8: head = String(decoding: first.dropFirst(hasBOM ? 3 : 0), as: UTF8.self)
        default: head = TextDecoding.decode(first).text
        }
    }

    /// The whole text as UTF-8 bytes, in chunks: straight from disk for UTF-8, converted otherwise
    /// (UTF-16 and Windows-1252 files come from Excel's "Unicode text" and old exports, and are small).
    func utf8Chunks(_ body: (ArraySlice<UInt8>) throws(ContactsError) -> Void) throws(ContactsError) {
        if encoding == .utf8 {
            guard let handle = try? FileHandle(forReadingFrom: url) else { return }
            defer { try? handle.close() }
            var skip = hasBOM ? 3 : 0
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                let bytes = [UInt8](chunk)
                try body(bytes[min(skip, bytes.count)...])
                skip = 0
            }
        } else {
            guard let data = try? Data(contentsOf: url) else { return }
            let bytes = Array(TextDecoding.decode(data).text.utf8)
            var start = 0
            while start < bytes.count {
                let end = min(start + (1 << 20), bytes.count)
                try body(bytes[start..<end])
                start = end
            }
        }
    }
}

/// Streaming UTF-8 validity check across chunk boundaries.
struct UTF8Validator {
    private var pending: [UInt8] = []
    private(set) var isValid = true

    mutating func feed(_ raw: UnsafeRawBufferPointer) {
        guard isValid else { return }
        var bytes = pending
        bytes.append(contentsOf: raw)
        // Hold back an incomplete sequence at the end for the next chunk.
        var cut = bytes.count
        var back = 0
        while back < 3, cut - back - 1 >= 0 {
            let b = bytes[cut - back - 1]
            if b & 0xC0 == 0x80 {
                back += 1
                continue
            }
            let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            if need > back + 1 { cut = cut - back - 1 }
            break
        }
        pending = Array(bytes[cut...])
        if String(validating: bytes[..<cut], as: UTF8.self) == nil { isValid = false }
    }

    mutating func finish() { if !pending.isEmpty { isValid = false } }
}
