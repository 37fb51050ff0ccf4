import CQRencode

/// A QR code of a text, from libqrencode: a square of dark and light modules.
public struct QRCode: Sendable, Equatable {
    public let width: Int
    /// Row-major, `true` for a dark module.
    public let modules: [Bool]

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case tooLong(bytes: Int)
        public var description: String {
            switch self {
            case .tooLong(let n): "a QR code cannot hold \(n) bytes; shorten the text"
            }
        }
    }

    /// Medium error correction (15%): readable from a phone screen or a printout with some damage.
    public init(encoding text: String) throws(Failure) {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { throw .tooLong(bytes: text.utf8.count) }
        defer { QRcode_free(code) }
        let w = Int(code.pointee.width)
        width = w
        // libqrencode marks a dark module with the lowest bit of each byte.
        modules = (0..<(w * w)).map { code.pointee.data[$0] & 1 == 1 }
    }

    public func isDark(row: Int, column: Int) -> Bool { modules[row * width + column] }
}
