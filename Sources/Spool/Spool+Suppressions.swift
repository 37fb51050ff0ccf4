import Foundation
import GRDB
import WabulkBase

extension Spool {
    /// A job that an opt-out reached: dropped from the line, or already on its way when it was recorded.
    public struct StoppedJob: Sendable, Equatable {
        public var id: String
        public var campaign: String
        public var phone: String
    }

    public struct SuppressionOutcome: Sendable, Equatable {
        /// Waiting jobs removed: their messages will not be sent.
        public var dropped: [StoppedJob] = []
        /// Jobs in flight at that moment: their request may already be on the wire.
        public var inFlight: [StoppedJob] = []
    }

    /// How a suppression meets the one already kept for its number.
    public enum SuppressionWrite: Sendable {
        /// Only ever widens (none → marketing → all): what an opt-out does before its time is checked.
        case widen
        /// Replaces it, lifting or narrowing too: the registry's verdict after ordering by time.
        case replace
    }

    /// Marks numbers as not to be messaged (or lifts the mark, with scope `.none`) and, in the same
    /// transaction, drops their waiting jobs that the scope covers. From any process; the dispatcher's
    /// `SuppressionList` sees it before its next request.
    @discardableResult
    public static func suppress(
        _ entries: [Suppression],
        in directory: URL,
        at date: Date = Date(),
        write: SuppressionWrite = .replace
    ) throws -> SuppressionOutcome {
        guard !entries.isEmpty else { return SuppressionOutcome() }
        let outcome = try openDatabase(in: directory).write { db -> SuppressionOutcome in
            var seq = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM suppressions") ?? 0
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO suppressions (phone, scope, source, since, seq) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(phone) DO UPDATE SET scope = excluded.scope, source = excluded.source, since = excluded.since, seq = excluded.seq
                    """
            )
            // Marketing stops leave jobs of templates known to be utility or authentication in line.
            let dropAll = try db.cachedStatement(
                sql: """
                    DELETE FROM jobs WHERE phone = ? AND state IN ('ready', 'deferred') RETURNING id, campaign
                    """
            )
            let dropMarketing = try db.cachedStatement(
                sql: """
                    DELETE FROM jobs WHERE phone = ? AND state IN ('ready', 'deferred') AND (category IS NULL OR upper(category) = 'MARKETING')
                    RETURNING id, campaign
                    """
            )
            let active = try db.cachedStatement(sql: "SELECT id, campaign, category FROM jobs WHERE phone = ? AND state = 'active'")
            let current = try db.cachedStatement(sql: "SELECT scope, source FROM suppressions WHERE phone = ?")
            var outcome = SuppressionOutcome()
            let stamp = Timestamp.format(date)
            for var entry in entries {
                if write == .widen, let row = try Row.fetchOne(current, arguments: [entry.phone]),
                    let have = Suppression.Scope(rawValue: row["scope"]), have.union(entry.scope) == have
                {
                    entry.scope = have
                    entry.source = row["source"]
                } else {
                    seq += 1
                    try upsert.execute(arguments: [entry.phone, entry.scope.rawValue, entry.source, stamp, seq])
                }
                guard entry.scope != .none else { continue }
                let statement = entry.scope == .all ? dropAll : dropMarketing
                for row in try Row.fetchAll(statement, arguments: [entry.phone]) {
                    outcome.dropped.append(StoppedJob(id: row["id"], campaign: row["campaign"], phone: entry.phone))
                }
                for row in try Row.fetchAll(active, arguments: [entry.phone]) where entry.scope.blocks(category: row["category"]) {
                    outcome.inFlight.append(StoppedJob(id: row["id"], campaign: row["campaign"], phone: entry.phone))
                }
            }
            return outcome
        }
        try SuppressionList.marker(in: directory).announce()
        return SuppressionOutcome(dropped: outcome.dropped.sorted { $0.id < $1.id }, inFlight: outcome.inFlight.sorted { $0.id < $1.id })
    }

    /// Every number currently suppressed, by phone (scope `.none` rows left out).
    public static func suppressions(in directory: URL) throws -> [String: Suppression] {
        guard FileManager.default.fileExists(atPath: databaseFile(in: directory).path) else { return [:] }
        return try openDatabase(in: directory).read { db in
            var all: [String: Suppression] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT phone, scope, source FROM suppressions WHERE scope != 'none'") {
                guard let scope = Suppression.Scope(rawValue: row["scope"]) else { continue }
                all[row["phone"]] = Suppression(phone: row["phone"], scope: scope, source: row["source"])
            }
            return all
        }
    }
}
