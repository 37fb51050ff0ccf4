import Foundation
import GRDB
import GRDBSQLite
import WabulkBase

extension ContactRegistry {
    /// Merges contacts one at a time inside a single transaction (see `importing(_:)`).
    public final class Merger {
        let db: Database
        let stamp: String
        /// The time the transaction's changes are recorded at.
        public let now: Date
        private let select: Statement
        private let insert: Statement
        private let update: Statement
        private let updateMerged: Statement
        private let lookup: Statement
        public private(set) var counts = MergeCounts()
        /// What the registry holds for the numbers of the batch being merged (nil: not there), read in one
        /// query by `prefetch`; only while the registry had contacts when the import began.
        private var known: [String: Stored?] = [:]
        private let registryWasEmpty: Bool

        /// A stored contact as a merge needs it.
        struct Stored {
            var name: String
            var tags: [String]
            var fields: [String: String]
            var optedOut: Bool
            var active: Bool
        }

        init(db: Database, now: Date) throws {
            self.db = db
            stamp = Timestamp.format(now)
            self.now = now
            select = try db.cachedStatement(sql: "SELECT opted_out FROM contacts WHERE phone = ?")
            insert = try db.cachedStatement(
                sql:
                    "INSERT OR IGNORE INTO contacts (phone, name, tags, fields, active, opted_out, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, ?, ?)"
            )
            // The merge of a contact no prefetch read runs inside SQLite (json_each, json_patch).
            update = try db.cachedStatement(
                sql: """
                    UPDATE contacts SET
                        name = CASE WHEN ?1 = '' THEN name ELSE ?1 END,
                        tags = CASE WHEN ?2 = '[]' THEN tags ELSE (SELECT json_group_array(value) FROM (
                            SELECT value FROM json_each(contacts.tags)
                            UNION ALL
                            SELECT value FROM json_each(?2) WHERE value NOT IN (SELECT value FROM json_each(contacts.tags)))) END,
                        fields = CASE WHEN ?3 = '{}' THEN fields ELSE json_patch(fields, ?3) END,
                        updated_at = ?4
                    WHERE phone = ?5 AND opted_out = 0 AND active = 1
                    """
            )
            updateMerged = try db.cachedStatement(sql: "UPDATE contacts SET name = ?, tags = ?, fields = ?, updated_at = ? WHERE phone = ?")
            lookup = try db.cachedStatement(
                sql: """
                    SELECT phone, name, tags, fields, opted_out, active FROM contacts WHERE phone IN (SELECT value FROM json_each(?))
                    """
            )
            registryWasEmpty = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM contacts)") ?? true
        }

        /// Reads what the registry holds for a batch's numbers in one query, so their merges need no SQL
        /// beyond a plain insert or update: SQLite's JSON functions, run once a row, were most of a
        /// re-import into a full registry. Skipped while the import began on an empty registry.
        public func prefetch(_ phones: [String]) throws {
            known.removeAll(keepingCapacity: true)
            guard !registryWasEmpty, !phones.isEmpty else { return }
            for phone in phones { known[phone] = .some(nil) }
            let handle = lookup.sqliteStatement
            try bind(lookup, [CompactJSON.array(phones)])
            func text(_ column: Int32) -> String {
                guard let start = sqlite3_column_text(handle, column) else { return "" }
                return String(decoding: UnsafeBufferPointer(start: start, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
            }
            while true {
                let code = sqlite3_step(handle)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else {
                    throw stepFailure(code)
                }
                let tagsText = text(2)
                let fieldsText = text(3)
                guard let tags = tagsText == "[]" ? [] : CompactJSON.strings(tagsText),
                    let fields = fieldsText == "{}" ? [:] : CompactJSON.stringObject(fieldsText)
                else {
                    known[text(0)] = nil  // unusual JSON: this one merges inside SQLite
                    continue
                }
                known[text(0)] = Stored(
                    name: text(1),
                    tags: tags,
                    fields: fields,
                    optedOut: sqlite3_column_int(handle, 4) != 0,
                    active: sqlite3_column_int(handle, 5) != 0
                )
            }
        }

        public enum Outcome { case inserted, updated, skippedOptedOut, skippedRemoved }

        /// Inserts a new number, or unites tags and updates fields of a known one. Opted-out and removed
        /// contacts are left exactly as they are.
        @discardableResult
        public func merge(_ c: Contact) throws -> Outcome {
            if let entry = known[c.phone] { return try merge(c, into: entry) }
            // Most rows of a big import are new: try the insert first and only read back on a conflict.
            if try insertNew(c) { return .inserted }
            // An empty cell never blanks a stored field.
            let newFields = c.fields.filter { !$0.value.isEmpty }
            try run(update, [c.name, ContactRegistry.encode(c.tags), ContactRegistry.encode(newFields), stamp, c.phone])
            if db.changesCount > 0 {
                counts.updated += 1
                return .updated
            }
            // Only opted-out and removed contacts refuse the update; say which.
            guard let row = try Row.fetchOne(select, arguments: [c.phone]), (row["opted_out"] as Int) == 1 else {
                counts.skippedRemoved += 1
                return .skippedRemoved
            }
            counts.skippedOptedOut += 1
            return .skippedOptedOut
        }

        /// The same merge as the SQL above, on a contact `prefetch` read: name replaced unless the cell is
        /// empty, tags united in order, non-empty fields written over the stored ones.
        private func merge(_ c: Contact, into entry: Stored?) throws -> Outcome {
            guard var stored = entry else {
                try insertNew(c)
                known[c.phone] = Stored(name: c.name, tags: c.tags, fields: c.fields, optedOut: false, active: true)
                return .inserted
            }
            if stored.optedOut {
                counts.skippedOptedOut += 1
                return .skippedOptedOut
            }
            if !stored.active {
                counts.skippedRemoved += 1
                return .skippedRemoved
            }
            if !c.name.isEmpty { stored.name = c.name }
            for tag in c.tags where !stored.tags.contains(tag) { stored.tags.append(tag) }
            for (key, value) in c.fields where !value.isEmpty { stored.fields[key] = value }
            try run(updateMerged, [stored.name, ContactRegistry.encode(stored.tags), ContactRegistry.encode(stored.fields), stamp, c.phone])
            known[c.phone] = stored
            counts.updated += 1
            return .updated
        }

        /// Inserts a number the registry does not hold; false (nothing written) when it does.
        @discardableResult
        private func insertNew(_ c: Contact) throws -> Bool {
            try run(insert, [c.phone, c.name, ContactRegistry.encode(c.tags), ContactRegistry.encode(c.fields), stamp, stamp])
            guard db.changesCount > 0 else { return false }
            counts.inserted += 1
            return true
        }

        /// Binds texts and steps once through SQLite's C API: GRDB's argument arrays box every value, which
        /// was a fifth of the importing thread's time in a million-row import.
        private func run(_ statement: Statement, _ texts: [String]) throws {
            try bind(statement, texts)
            let code = sqlite3_step(statement.sqliteStatement)
            guard code == SQLITE_DONE else {
                throw stepFailure(code)
            }
        }

        private func bind(_ statement: Statement, _ texts: [String]) throws {
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
        }

        private func stepFailure(_ code: Int32) -> DatabaseError {
            DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }

        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        /// Opts a number out (an opt-out file), adding it already opted out when unknown so no later import
        /// can add it back. Returns false when it was opted out already; a newer opt-in (by its time) stands.
        public func optOut(_ phone: String, source: String, at date: Date) throws -> Bool {
            try PreferenceChange(phone: phone, optedOut: true, scope: .all, source: source, at: date).apply(in: db, stamp: stamp).changed
        }

        public func recordImport(fingerprint: String, file: String, summary: Data) throws {
            try db.execute(
                sql: "INSERT OR REPLACE INTO imports (fingerprint, file, imported_at, summary) VALUES (?, ?, ?, ?)",
                arguments: [fingerprint, file, stamp, String(decoding: summary, as: UTF8.self)]
            )
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
