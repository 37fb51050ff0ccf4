import Foundation

/// A `host:port` the webhook listener binds to.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }
    public var description: String { "\(host):\(port)" }
}
