import Foundation

/// When each webhook field last arrived at the listener, kept in `var/webhooks-seen.json` by the daemon and
/// read by the status: a field never seen may be one the app does not subscribe to.
public struct WebhookArrivals: Codable, Sendable, Equatable {
    /// Field name (as Meta names it) → when the last POST carrying it was stored (ISO 8601).
    public var fields: [String: String] = [:]
    /// When the last status (sent, delivered, read, failed) arrived.
    public var statuses: String?

    public init() {}

    public static func file(in home: HomeLayout) -> URL { home.state.appendingPathComponent("webhooks-seen.json") }

    /// The record as saved, or an empty one (none saved yet, or unreadable: nothing is known to have arrived).
    public static func load(_ file: URL) -> WebhookArrivals {
        (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode(WebhookArrivals.self, from: $0) } ?? WebhookArrivals()
    }

    public func save(_ file: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(self), to: file, durable: false)
    }
}
