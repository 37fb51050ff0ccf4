import Foundation
import WabulkBase

/// What wabulk knows of the business account (var/account.json, written only through `update`): the
/// messaging limit with where and when it was learned, and the number's quality rating.
public struct AccountState: Sendable, Equatable, Codable {
    public enum Source: String, Sendable, Codable {
        /// Read from the phone number's fields in the Graph API.
        case graph
        /// A `business_capability_update` webhook.
        case webhook
    }

    public var messagingLimit: MessagingLimit?
    public var limitSource: Source?
    public var limitAt: String?
    public var quality: String?
    public var qualityAt: String?

    public init() {}

    public static func file(in home: HomeLayout) -> URL { home.state.appendingPathComponent("account.json") }

    /// Nil when nothing was learned yet (or the file cannot be read: then the limit is as unknown).
    public static func load(_ home: HomeLayout) -> AccountState? {
        (try? Data(contentsOf: file(in: home))).flatMap { try? JSONDecoder().decode(AccountState.self, from: $0) }
    }

    /// Read, change and write under an exclusive lock (the refresh service and the webhook follower both
    /// write it).
    public static func update(_ home: HomeLayout, _ change: (inout AccountState) -> Void) throws {
        try FileLock.withExclusive(home.state.appendingPathComponent(".account.lock")) {
            var state = load(home) ?? AccountState()
            change(&state)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(state), to: file(in: home))
        }
    }
}
