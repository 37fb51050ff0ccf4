import Foundation
import WabulkBase

/// What holds sending back, shared through one small file in the spool so the daemon, the CLI and
/// control files in inbox/ all see the same thing: a whole-queue pause (an expired token, a locked
/// account) and paused or stopped campaigns.
public struct SpoolControl: Codable, Sendable, Equatable {
    public struct Hold: Codable, Sendable, Equatable {
        public var reason: String
        public var errorCode: Int?
        public var since: String

        public init(reason: String, errorCode: Int? = nil, since: Date) {
            self.reason = reason
            self.errorCode = errorCode
            self.since = Timestamp.format(since)
        }
    }

    /// Set when all sending is paused; cleared by `wabulk resume`.
    public var queueHold: Hold?
    /// Campaigns that must not send, by id.
    public var campaignHolds: [String: Hold] = [:]

    public init() {}

    public static func file(in spool: URL) -> URL { spool.appendingPathComponent("control.json") }

    public static func load(spool: URL) -> SpoolControl {
        guard let data = try? Data(contentsOf: file(in: spool)) else { return SpoolControl() }
        return (try? JSONDecoder().decode(SpoolControl.self, from: data)) ?? SpoolControl()
    }

    /// Reads, changes and writes the file back atomically.
    public static func update(spool: URL, _ change: (inout SpoolControl) -> Void) throws {
        var control = load(spool: spool)
        change(&control)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(control), to: file(in: spool))
    }
}
