import Foundation
import GRDB
import WabulkBase

/// What any process may ask of or do to the spool through its database (`wabulk status`, cancel, opt-outs,
/// retry-failed): each one statement or one transaction, so the daemon's claims and these never interleave.
extension Spool {
    /// Counts straight from the database, so another process (`wabulk status`) sees the truth.
    public func depth(campaign: String? = nil) -> Depth {
        Self.depth(in: directory, campaign: campaign, database: database)
    }

    public static func depth(in directory: URL, campaign: String? = nil, database: DatabasePool? = nil) -> Depth {
        guard FileManager.default.fileExists(atPath: databaseFile(in: directory).path),
            let pool = try? database ?? ReadOnlySpool.pool(in: directory)
        else { return Depth() }
        var d = Depth()
        // One campaign: its primary-key range. All: the jobs out of line by their index, ready ones as the rest.
        let rows =
            (try? pool.read { db -> [Row] in
                if let campaign {
                    let (first, end) = idRange(campaign)
                    return try Row.fetchAll(
                        db,
                        sql: "SELECT state, COUNT(*) AS n FROM jobs WHERE id > ? AND id < ? AND campaign = ? GROUP BY state",
                        arguments: [first, end, campaign]
                    )
                }
                var rows = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs WHERE state != 'ready' GROUP BY state")
                let outOfLine = rows.reduce(0) { $0 + ($1["n"] as Int) }
                let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs") ?? 0
                if total > outOfLine { rows.append(["state": "ready", "n": total - outOfLine]) }
                return rows
            }) ?? []
        for row in rows {
            let n: Int = row["n"]
            switch State(rawValue: row["state"]) {
            case .ready: d.ready = n
            case .deferred: d.deferred = n
            case .active: d.active = n
            case .failed: d.failed = n
            case nil: break
            }
        }
        return d
    }

    /// Campaigns with marketing messages waiting (an unknown category counts as marketing, as for opt-outs):
    /// the ones a marketing hold keeps back.
    public func marketingCampaigns() throws -> Set<String> {
        try db().read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT campaign FROM jobs
                        WHERE state IN ('ready', 'deferred') AND (category IS NULL OR upper(category) = 'MARKETING')
                        """
                )
            )
        }
    }

    /// The numbers messages are waiting (or on their way) to: the people the messaging limit will count next.
    public func waitingPhones() throws -> Set<String> {
        try db().read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT phone FROM jobs WHERE state IN ('ready', 'deferred', 'active')"))
        }
    }

    /// How many deferred jobs wait for `cause`, read on a read-only connection (`wabulk status`).
    /// Campaigns with any job in the spool, one primary-key lookup per campaign (not a read of every row).
    public static func campaignsWithJobs(in directory: URL) -> Set<String> {
        guard FileManager.default.fileExists(atPath: databaseFile(in: directory).path), let pool = try? ReadOnlySpool.pool(in: directory) else {
            return []
        }
        return
            (try? pool.read { db in
                var campaigns = Set<String>()
                var after = ""
                while let row = try Row.fetchOne(db, sql: "SELECT id, campaign FROM jobs WHERE id > ? ORDER BY id LIMIT 1", arguments: [after]) {
                    let campaign: String = row["campaign"]
                    campaigns.insert(campaign)
                    after = max(idRange(campaign).1, row["id"])
                }
                return campaigns
            }) ?? []
    }

    public static func waitingCount(for cause: String, in directory: URL) -> Int {
        guard FileManager.default.fileExists(atPath: databaseFile(in: directory).path), let pool = try? ReadOnlySpool.pool(in: directory) else {
            return 0
        }
        return
            (try? pool.read { db in
                guard try db.columns(in: "jobs").contains(where: { $0.name == "waiting_for" }) else { return 0 }
                return try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM jobs WHERE state != 'ready' AND state = 'deferred' AND waiting_for = ?",
                    arguments: [cause]
                ) ?? 0
            }) ?? 0
    }

    /// Per campaign and state, how long ago each job last changed (for `wabulk status`'s queue shape).
    public static func ages(in directory: URL, now: Date) -> [(campaign: String, state: State, seconds: Double)] {
        guard FileManager.default.fileExists(atPath: databaseFile(in: directory).path), let pool = try? ReadOnlySpool.pool(in: directory) else {
            return []
        }
        let rows =
            (try? pool.read { db in
                try Row.fetchAll(db, sql: "SELECT campaign, state, updated_at FROM jobs WHERE state != 'failed'")
            }) ?? []
        return rows.compactMap { row in
            State(rawValue: row["state"]).map { (row["campaign"], $0, now.timeIntervalSince1970 - (row["updated_at"] as Double)) }
        }
    }

    /// Drops the waiting jobs of a campaign (cancel), from any process; returns the ids it removed. A job
    /// the daemon claimed meanwhile is in flight and is not among them.
    public static func cancelWaiting(in directory: URL, campaign: String) throws -> [String] {
        try openDatabase(in: directory).write { db in
            let (first, end) = idRange(campaign)
            return try String.fetchAll(
                db,
                sql: "DELETE FROM jobs WHERE id > ? AND id < ? AND campaign = ? AND state IN ('ready', 'deferred') RETURNING id",
                arguments: [first, end, campaign]
            )
        }.sorted()
    }

    /// Drops every waiting job addressed to one number (it opted out), from any process; returns the
    /// removed jobs' ids and campaigns. A job already in flight is not among them.
    public static func cancelWaiting(in directory: URL, phone: String) throws -> [(id: String, campaign: String)] {
        let removed = try openDatabase(in: directory).write { db in
            try Row.fetchAll(
                db,
                sql: "DELETE FROM jobs WHERE phone = ? AND state IN ('ready', 'deferred') RETURNING id, campaign",
                arguments: [phone]
            )
            .map { (id: $0["id"] as String, campaign: $0["campaign"] as String) }
        }
        if !removed.isEmpty { try announceChange(in: directory) }
        return removed.sorted { $0.id < $1.id }
    }

    /// Puts failed jobs back in line with a fresh attempt count; returns the ids it moved. A job whose number
    /// is suppressed for its template's category stays failed: a retry never brings back someone who opted out.
    public static func requeueFailed(in directory: URL, ids: [String]) throws -> [String] {
        let moved = try openDatabase(in: directory).write { db in
            var moved: [String] = []
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE jobs SET state = 'ready', attempt = 0, not_before = NULL, updated_at = ? WHERE id = ? AND state = 'failed'
                        AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.phone = jobs.phone
                                        AND (s.scope = 'all' OR (s.scope = 'marketing' AND (jobs.category IS NULL OR upper(jobs.category) = 'MARKETING'))))
                        """,
                    arguments: [Date().timeIntervalSince1970, id]
                )
                if db.changesCount > 0 { moved.append(id) }
            }
            return moved
        }
        try announceChange(in: directory)
        return moved
    }

    /// Another process changed the spool (retry-failed): the daemon's spool re-reads its index.
    public static func markerFile(in directory: URL) -> URL { directory.appendingPathComponent("changed") }

    public static func announceChange(in directory: URL) throws(FileError) {
        try ChangeMarker(file: markerFile(in: directory)).announce()
    }
}
