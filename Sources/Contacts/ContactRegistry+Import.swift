import Foundation
import GRDB
import GRDBSQLite
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
            select = try db.cachedStatement(sql: "SELECT opted_out FROM contacts WHERE phone = ?")
            insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO contacts (phone, name, tags, fields, active, opted_out, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, ?, ?)")
            // The merge runs inside SQLite (json_each, json_patch): reading the row back into Swift to decode,
            // unite and re-encode its tags and fields was most of a re-import into a full registry.
            update = try db.cachedStatement(sql: """
                UPDATE contacts SET
                    name = CASE WHEN ?1 = '' THEN name ELSE ?1 END,
                    tags = CASE WHEN ?2 = '[]' THEN tags ELSE (SELECT json_group_array(value) FROM (
                        SELECT value FROM json_each(contacts.tags)
                        UNION ALL
                        SELECT value FROM json_each(?2) WHERE value NOT IN (SELECT value FROM json_each(contacts.tags)))) END,
                    fields = CASE WHEN ?3 = '{}' THEN fields ELSE json_patch(fields, ?3) END,
                    updated_at = ?4
                WHERE phone = ?5 AND opted_out = 0 AND active = 1
                """)
        }

        public enum Outcome { case inserted, updated, skippedOptedOut, skippedRemoved }

        /// Inserts a new number, or unites tags and updates fields of a known one. Opted-out and removed
        /// contacts are left exactly as they are.
        @discardableResult
        public func merge(_ c: Contact) throws -> Outcome {
            // Most rows of a big import are new: try the insert first and only read back on a conflict.
            try run(insert, [c.phone, c.name, ContactRegistry.encode(c.tags), ContactRegistry.encode(c.fields), stamp, stamp])
            if db.changesCount > 0 { counts.inserted += 1; return .inserted }
            // An empty cell never blanks a stored field.
            let newFields = c.fields.filter { !$0.value.isEmpty }
            try run(update, [c.name, ContactRegistry.encode(c.tags), ContactRegistry.encode(newFields), stamp, c.phone])
            if db.changesCount > 0 { counts.updated += 1; return .updated }
            // Only opted-out and removed contacts refuse the update; say which.
            guard let row = try Row.fetchOne(select, arguments: [c.phone]), (row["opted_out"] as Int) == 1 else {
                counts.skippedRemoved += 1
                return .skippedRemoved
            }
            counts.skippedOptedOut += 1
            return .skippedOptedOut
        }

        /// Binds texts and steps once through SQLite's C API: GRDB's argument arrays box every value, which
        /// was a fifth of the importing thread's time in a million-row import.
        private func run(_ statement: Statement, _ texts: [String]) throws {
            let handle = statement.sqliteStatement
            sqlite3_reset(handle)
            for (i, text) in texts.enumerated() {
                var text = text
                let code = text.withUTF8 { utf8 in
                    // A null pointer would bind NULL, not an empty text.
                    guard let start = utf8.baseAddress, !utf8.isEmpty else { return sqlite3_bind_text(handle, Int32(i + 1), "", 0, nil) }
                    return sqlite3_bind_text(handle, Int32(i + 1), start, Int32(utf8.count), Self.transient)
                }
                guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding argument \(i + 1)") }
            }
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
        }

        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

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

    /// Opts a number out (adding it, opted out, when unknown, so no later import can add it back) or back in.
    /// Returns false when nothing changed.
    @discardableResult
    public func recordOptOut(phone: String, optedOut: Bool, source: String, at date: Date) throws(ContactsError) -> Bool {
        if optedOut { return try importing(now: date) { try $0.optOut(phone, source: source) } }
        return try setOptOut(phone: phone, optedOut: false, source: source, at: date)
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
