import Crypto
import WabulkBase

/// Meta's `X-Hub-Signature-256`: `sha256=` and the lowercase hex HMAC-SHA256 of the raw body, keyed
/// with the app secret. Checked over the bytes as received, never over re-serialized JSON.
public enum WebhookSignature {
    public static let headerName = "X-Hub-Signature-256"

    public static func sign(_ body: [UInt8], secret: Secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: key(secret))
        return "sha256=" + mac.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    public static func key(_ secret: Secret) -> SymmetricKey { SymmetricKey(data: Array(secret.reveal().utf8)) }

    public static func isValid(header: String?, body: [UInt8], secret: Secret) -> Bool {
        isValid(header: header, body: body, key: key(secret))
    }

    /// Constant-time comparison (swift-crypto's own) of the header against the body.
    public static func isValid(header: String?, body: [UInt8], key: SymmetricKey) -> Bool {
        guard let header, header.hasPrefix("sha256="), let mac = decodeHex(header.dropFirst(7)), mac.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key)
    }

    /// Checks bodies against one app secret. The HMAC's keyed state is made once and copied per body:
    /// deriving it from the key each time was a tenth of the check.
    public struct Verifier: Sendable {
        private let keyed: HMAC<SHA256>

        public init(secret: Secret) { keyed = HMAC(key: key(secret)) }

        public func isValid(header: String?, body: [UInt8]) -> Bool {
            guard let header, header.hasPrefix("sha256="), let mac = decodeHex(header.dropFirst(7)), mac.count == 32 else { return false }
            var hmac = keyed
            hmac.update(data: body)
            // swift-crypto's comparison of a code with bytes is constant-time.
            return hmac.finalize() == mac
        }
    }

    /// The verify token of Meta's GET handshake, compared in constant time: the digests of both (equal
    /// length whatever was sent) through swift-crypto's constant-time digest equality.
    public static func tokenMatches(_ given: String, _ token: Secret) -> Bool {
        SHA256.hash(data: Array(given.utf8)) == SHA256.hash(data: Array(token.reveal().utf8))
    }

    static func decodeHex(_ text: Substring) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let h = nibble(chars[i]), let l = nibble(chars[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
