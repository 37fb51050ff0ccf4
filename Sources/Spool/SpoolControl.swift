import Foundation
import GRDB
import WabulkBase

/// What holds sending back: a whole-queue pause (an expired token, a locked account) and paused or stopped
/// campaigns. Kept in the spool database's `holds` table, so the daemon, the CLI and control files in
/// inbox/ change them in transactions (no read-modify-write of a shared file losing another writer's hold),
/// and an unreadable store reads as "paused", never as "no holds".
public struct SpoolControl: Codable, Sendable, Equatable {
    public struct Hold: Codable, Sendable, Equatable {
        /// For people: what happened and what to do. Decisions read `cause`.
        public var reason: String
        public var errorCode: Int?
        public var since: String
        public var cause: HoldCause

        public init(reason: String, cause: HoldCause, errorCode: Int? = nil, since: Date) {
            self.reason = reason
            self.cause = cause
            self.errorCode = errorCode
            self.since = Timestamp.format(since)
        }

        init(reason: String, cause: HoldCause, errorCode: Int?, since: String) {
            self.reason = reason
            self.cause = cause
            self.errorCode = errorCode
            self.since = since
        }

        /// control.json from before causes were kept has none: it is told from the reason, once.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            reason = try c.decode(String.self, forKey: .reason)
            errorCode = try c.decodeIfPresent(Int.self, forKey: .errorCode)
            since = try c.decode(String.self, forKey: .since)
            cause = try c.decodeIfPresent(HoldCause.self, forKey: .cause) ?? HoldCause.fromLegacy(reason: reason, errorCode: errorCode)
        }
    }

    /// Set when all sending is paused; cleared by `wabulk resume`.
    public var queueHold: Hold?
    /// Set when marketing sends are held (Meta flagged the number's quality); others go on. Cleared by
    /// `wabulk resume` or Meta's next good word.
    public var marketingHold: Hold?
    /// Campaigns that must not send, by id.
    public var campaignHolds: [String: Hold] = [:]
    /// The store could not be read: `queueHold` says so, and the next look reads it again.
    public var storeUnreadable: Bool { queueHold?.cause == .unreadableStore }

    public init() {}

    /// The table's key for the whole queue (campaign ids are letters, digits, - and _).
    static let queueKey = "*"
    static let marketingKey = "*marketing"

    /// Where holds were kept before they moved into the database; read once, then renamed `.migrated`.
    public static func legacyFile(in spool: URL) -> URL { spool.appendingPathComponent("control.json") }

    static func marker(in spool: URL) -> ChangeMarker { ChangeMarker(file: spool.appendingPathComponent("holds.changed")) }

    /// The holds now, read on a read-only connection (no write transaction, whatever holds the write lock).
    public static func load(spool: URL) -> SpoolControl {
        do {
            if FileManager.default.fileExists(atPath: legacyFile(in: spool).path) {
                _ = try Spool.openDatabase(in: spool)  // moves the legacy file's holds into the table
            }
            guard FileManager.default.fileExists(atPath: Spool.databaseFile(in: spool).path) else { return SpoolControl() }
            return try ReadOnlySpool.pool(in: spool).read { db in
                guard try db.tableExists("holds") else { return SpoolControl() }
                return try read(db)
            }
        } catch {
            var held = SpoolControl()
            held.queueHold = Hold(
                reason: "the holds in var/spool/jobs.sqlite could not be read (\(error)); sending is paused until they can",
                cause: .unreadableStore,
                since: Date()
            )
            return held
        }
    }

    /// A campaign planned on another's behalf (a recurring campaign's occurrence, a welcome campaign's
    /// newcomers, an A/B test's rest) starts held when that one is, before its first job can go.
    public static func inheritHold(from parent: String, to child: String, spool: URL) throws {
        guard let hold = load(spool: spool).campaignHolds[parent] else { return }
        try update(spool: spool) { $0.campaignHolds[child] = hold }
    }

    /// Reads, changes and writes the holds back in one transaction; other writers wait their turn.
    public static func update(spool: URL, _ change: (inout SpoolControl) -> Void) throws {
        try Spool.openDatabase(in: spool).write { db in
            var control = try read(db)
            change(&control)
            try write(control, db)
        }
        try marker(in: spool).announce()
    }

    static func read(_ db: Database) throws -> SpoolControl {
        var control = SpoolControl()
        for row in try Row.fetchAll(db, sql: "SELECT target, reason, error_code, since, cause FROM holds") {
            let hold = Hold(
                reason: row["reason"],
                cause: HoldCause(stored: row["cause"] ?? ""),
                errorCode: row["error_code"],
                since: row["since"] as String
            )
            let target: String = row["target"]
            switch target {
            case queueKey: control.queueHold = hold
            case marketingKey: control.marketingHold = hold
            default: control.campaignHolds[target] = hold
            }
        }
        return control
    }

    static func write(_ control: SpoolControl, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM holds")
        let insert = try db.cachedStatement(sql: "INSERT INTO holds (target, reason, error_code, since, cause) VALUES (?, ?, ?, ?, ?)")
        var all = control.campaignHolds.map { ($0.key, $0.value) }
        if let queue = control.queueHold { all.append((queueKey, queue)) }
        if let marketing = control.marketingHold { all.append((marketingKey, marketing)) }
        for (target, hold) in all { try insert.execute(arguments: [target, hold.reason, hold.errorCode, hold.since, hold.cause.stored]) }
    }

    /// Called inside `Spool.openDatabase`'s set-up transaction: a control.json from before takes its place in
    /// the table (an undecodable one as a queue hold saying so), and is renamed so it is read only once.
    static func migrateLegacyFile(in spool: URL, _ db: Database) throws -> Bool {
        let file = legacyFile(in: spool)
        guard let data = FileManager.default.contents(atPath: file.path) else { return false }
        var control = try read(db)
        do {
            let legacy = try JSONDecoder().decode(SpoolControl.self, from: data)
            control.queueHold = control.queueHold ?? legacy.queueHold
            control.campaignHolds.merge(legacy.campaignHolds) { have, _ in have }
        } catch {
            control.queueHold = Hold(
                reason: "var/spool/control.json could not be read (\(error)); sending is paused until `wabulk resume`",
                cause: .unreadableStore,
                since: Date()
            )
        }
        try write(control, db)
        return true
    }

    /// The holds as last read, read again only when the change marker moves: the dispatcher asks before
    /// every send, and a stat is much cheaper than a query.
    public final class Watch: @unchecked Sendable {
        private let spool: URL
        private let lock = NSLock()
        private var cached = SpoolControl()
        private var seen: ChangeMarker.Stamp?
        private var valid = false

        public init(spool: URL) { self.spool = spool }

        public func current() -> SpoolControl {
            let stamp = SpoolControl.marker(in: spool).stamp()
            return lock.withLock {
                if !valid || stamp != seen {
                    cached = SpoolControl.load(spool: spool)
                    seen = stamp
                    // A store that could not be read is asked again next time, not kept as read.
                    valid = !cached.storeUnreadable
                }
                return cached
            }
        }

        /// After this process wrote the holds itself.
        public func invalidate() { lock.withLock { valid = false } }
    }
}
