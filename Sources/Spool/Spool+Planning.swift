import Foundation
import GRDB

extension Spool {
    static func createPlansTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS plans (
                    campaign TEXT PRIMARY KEY NOT NULL,
                    cursor TEXT,
                    jobs INTEGER NOT NULL,
                    skipped TEXT NOT NULL,
                    finished INTEGER NOT NULL
                ) WITHOUT ROWID
                """
        )
    }

    /// Where planning the campaign stopped last (nil: it never spooled a batch).
    public func planProgress(campaign: String) throws -> PlanProgress? {
        try db().read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM plans WHERE campaign = ?", arguments: [campaign]).map { row in
                let skipped = (try? JSONDecoder().decode([String: Int].self, from: Data((row["skipped"] as String).utf8))) ?? [:]
                return PlanProgress(
                    campaign: campaign,
                    cursor: row["cursor"],
                    jobs: row["jobs"],
                    skipped: skipped,
                    finished: (row["finished"] as Int) == 1
                )
            }
        }
    }

    /// Adds one batch of a campaign being planned and records how far planning came, in one transaction.
    /// False, with nothing written, when the campaign was cancelled meanwhile (its cancel hold is in the same
    /// database, so a cancel never misses a batch that lands after it).
    public func enqueue(_ rows: [SpoolRow], progress: PlanProgress) throws -> Bool {
        try load()
        let added: [(campaign: String, entry: Entry)]? = try db().write { db in
            let cause = try String.fetchOne(db, sql: "SELECT cause FROM holds WHERE target = ?", arguments: [progress.campaign])
            if let cause, case .cancelled = HoldCause(stored: cause) { return nil }
            let added = try insert(rows, db)
            let skipped = String(decoding: try JSONEncoder().encode(progress.skipped), as: UTF8.self)
            try db.execute(
                sql: "INSERT OR REPLACE INTO plans (campaign, cursor, jobs, skipped, finished) VALUES (?, ?, ?, ?, ?)",
                arguments: [progress.campaign, progress.cursor, progress.jobs, skipped, progress.finished ? 1 : 0]
            )
            return added
        }
        guard let added else { return false }
        for (campaign, entry) in added { index(entry, campaign: campaign, deferred: false) }
        return true
    }
}
