/// Renders a QR code as SVG (for the HTML page) and PNG (for phones and scanners), with the four-module
/// light margin scanners need.
public enum QRImage {
    public static let quietZone = 4

    public static func svg(_ code: QRCode, moduleSize: Int = 8) -> String {
        let side = (code.width + 2 * quietZone) * moduleSize
        var path = ""
        for row in 0..<code.width {
            for column in 0..<code.width where code.isDark(row: row, column: column) {
                path += "M\((column + quietZone) * moduleSize) \((row + quietZone) * moduleSize)h\(moduleSize)v\(moduleSize)h-\(moduleSize)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>

            """
    }

    /// A 1-bit greyscale PNG. Its pixels are stored in deflate's uncompressed blocks: a QR image is small,
    /// and this needs no compression library.
    public static func png(_ code: QRCode, moduleSize: Int = 8) -> [UInt8] {
        let side = (code.width + 2 * quietZone) * moduleSize
        let rowBytes = (side + 7) / 8
        var raw: [UInt8] = []
        raw.reserveCapacity((rowBytes + 1) * side)
        for y in 0..<side {
            raw.append(0)  // filter: none
            var byte: UInt8 = 0
            for x in 0..<side {
                let row = y / moduleSize - quietZone
                let column = x / moduleSize - quietZone
                let dark = row >= 0 && row < code.width && column >= 0 && column < code.width && code.isDark(row: row, column: column)
                byte = byte << 1 | (dark ? 0 : 1)  // 1 is white in greyscale
                if x % 8 == 7 {
                    raw.append(byte)
                    byte = 0
                }
            }
            if side % 8 != 0 { raw.append(byte << (8 - side % 8)) }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        chunk("IHDR", bigEndian(UInt32(side)) + bigEndian(UInt32(side)) + [1, 0, 0, 0, 0], into: &png)
        chunk("IDAT", zlibStored(raw), into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65_535, data.count - offset)
            let last: UInt8 = offset + n == data.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + bigEndian(b << 16 | a)
    }

    static func chunk(_ type: String, _ body: [UInt8], into png: inout [UInt8]) {
        let typed = Array(type.utf8) + body
        png += bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
