import Foundation
import GRDB
import WabulkBase

extension ContactRegistry {
    /// Merges contacts one at a time inside a single transaction (see `importing(_:)`).
    public final class Merger {
        let db: Database
        let stamp: String
        private let select: Statement
        private let insert: Statement
        private let update: Statement
        public private(set) var counts = MergeCounts()

        init(db: Database, now: Date) throws {
            self.db = db
            stamp = Timestamp.format(now)
            select = try db.cachedStatement(sql: "SELECT name, tags, fields, active, opted_out FROM contacts WHERE phone = ?")
            insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO contacts (phone, name, tags, fields, active, opted_out, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, ?, ?)")
            update = try db.cachedStatement(sql: "UPDATE contacts SET name = ?, tags = ?, fields = ?, updated_at = ? WHERE phone = ?")
        }

        public enum Outcome { case inserted, updated, skippedOptedOut, skippedRemoved }

        /// Inserts a new number, or unites tags and updates fields of a known one. Opted-out and removed
        /// contacts are left exactly as they are.
        @discardableResult
        public func merge(_ c: Contact) throws -> Outcome {
            // Most rows of a big import are new: try the insert first and only read back on a conflict.
            try insert.execute(arguments: [c.phone, c.name, ContactRegistry.encode(c.tags), ContactRegistry.encode(c.fields), stamp, stamp])
            if db.changesCount > 0 { counts.inserted += 1; return .inserted }
            guard let row = try Row.fetchOne(select, arguments: [c.phone]) else { return .skippedRemoved }
            if (row["opted_out"] as Int) == 1 { counts.skippedOptedOut += 1; return .skippedOptedOut }
            if (row["active"] as Int) == 0 { counts.skippedRemoved += 1; return .skippedRemoved }
            var tags = ContactRegistry.decodeTags(row["tags"])
            for t in c.tags where !tags.contains(t) { tags.append(t) }
            var fields = ContactRegistry.decodeFields(row["fields"])
            for (k, v) in c.fields where !v.isEmpty { fields[k] = v }
            let name = c.name.isEmpty ? (row["name"] as String) : c.name
            try update.execute(arguments: [name, ContactRegistry.encode(tags), ContactRegistry.encode(fields), stamp, c.phone])
            counts.updated += 1
            return .updated
        }

        /// Opts a number out, adding it (already opted out) when unknown, so no later import can add it back.
        /// Returns false when it was opted out already.
        public func optOut(_ phone: String, source: String) throws -> Bool {
            try db.execute(sql: """
                INSERT INTO contacts (phone, opted_out, opted_out_at, opt_out_source, created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?)
                ON CONFLICT(phone) DO UPDATE SET opted_out = 1, opted_out_at = excluded.opted_out_at,
                    opt_out_source = excluded.opt_out_source, updated_at = excluded.updated_at WHERE opted_out = 0
                """, arguments: [phone, stamp, source, stamp, stamp])
            return db.changesCount > 0
        }

        public func recordImport(fingerprint: String, file: String, summary: Data) throws {
            try db.execute(sql: "INSERT OR REPLACE INTO imports (fingerprint, file, imported_at, summary) VALUES (?, ?, ?, ?)",
                           arguments: [fingerprint, file, stamp, String(decoding: summary, as: UTF8.self)])
        }
    }

    /// Runs `body` in one write transaction: everything it merged lands, or none of it does.
    public func importing<T>(now: Date, _ body: (Merger) throws -> T) throws(ContactsError) -> T {
        do {
            return try writeTransaction { db in try body(Merger(db: db, now: now)) }
        } catch let error as ContactsError {
            throw error
        } catch {
            throw .database(reason: "\(error)")
        }
    }
}
