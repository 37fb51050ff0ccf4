/// A click-to-chat link (meta-cloud-api.md, section 10): https://wa.me/?text=… lets the person pick the
/// chat (a group, say); https://wa.me/<digits>?text=… opens one number's chat. Opening it only prefills
/// a draft: staff still press send.
public struct ShareLink: Sendable, Equatable {
    public let text: String
    /// The full international number, digits only (no +, no trunk prefix); nil for "pick a chat".
    public let phoneDigits: String?

    public init(text: String, phoneDigits: String? = nil) {
        self.text = text
        self.phoneDigits = phoneDigits
    }

    public var url: String {
        "https://wa.me/\(phoneDigits ?? "")?text=\(Self.percentEncoded(text))"
    }

    /// Every byte of the UTF-8 text except RFC 3986's unreserved characters becomes %XX, so spaces,
    /// newlines, & ? # + = and emoji all survive the trip through the URL.
    public static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
