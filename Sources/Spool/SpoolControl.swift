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
        do {
            return try JSONDecoder().decode(SpoolControl.self, from: data)
        } catch {
            // Unreadable holds are not "no holds": sending stops until the operator looks.
            var held = SpoolControl()
            held.queueHold = Hold(reason: "var/spool/control.json could not be read (\(error)); sending is paused until `wabulk resume`",
                                  since: Date())
            return held
        }
    }

    /// Reads, changes and writes the file back atomically.
    public static func update(spool: URL, _ change: (inout SpoolControl) -> Void) throws {
        var control = load(spool: spool)
        change(&control)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(control), to: file(in: spool))
    }

    /// The control file as last read, re-read only when its modification time changes: the dispatcher
    /// asks before every send, and a stat is much cheaper than reading and decoding JSON each time.
    public final class Watch: @unchecked Sendable {
        private let spool: URL
        private let lock = NSLock()
        private var cached = SpoolControl()
        private var seen: Date?
        private var valid = false

        public init(spool: URL) { self.spool = spool }

        public func current() -> SpoolControl {
            let mtime = (try? FileManager.default.attributesOfItem(atPath: SpoolControl.file(in: spool).path))?[.modificationDate] as? Date
            return lock.withLock {
                if !valid || mtime != seen {
                    cached = SpoolControl.load(spool: spool)
                    seen = mtime
                    valid = true
                }
                return cached
            }
        }

        /// After this process wrote the file itself (same-second writes must not be missed).
        public func invalidate() { lock.withLock { valid = false } }
    }
}
