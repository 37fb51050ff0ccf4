import Foundation
import GRDB
import GRDBSQLite
import WabulkBase

extension ContactRegistry {
    /// The next `limit` contacts of the audience after `cursor` (a phone; nil from the start), in phone order,
    /// removed and opted-out ones included (the planner counts them as skipped). SQLite walks the registry
    /// by its primary key from the cursor and lets through only rows whose tag list can hold the tags (LIKE
    /// on the list's JSON); each row let through is then checked exactly against its decoded tags, and
    /// against the excluded ones. A batch costs the same at the start and the end of a million.
    public func audienceBatch(_ query: AudienceQuery, after cursor: String?, limit: Int) throws(ContactsError) -> AudienceQuery.Batch {
        var clause = "phone > ?"
        var arguments: [any DatabaseValueConvertible] = [cursor ?? ""]
        let like = #"tags LIKE ? ESCAPE '\'"#
        switch query.selection {
        case .everyone: break
        case .anyTag(let keys):
            clause += " AND (" + keys.map { _ in like }.joined(separator: " OR ") + ")"
            arguments += keys.map(Self.likePattern)
        case .allTags(let keys):
            clause += keys.map { _ in " AND " + like }.joined()
            arguments += keys.map(Self.likePattern)
        }
        let rows = try read { db in
            try Self.fetchContacts(db, where: clause + " ORDER BY phone LIMIT ?", arguments: StatementArguments(arguments + [limit]))
        }
        let excluded = Set(query.excludedTags)
        let contacts = rows.filter { contact in
            let keys = Set(contact.tags.map(Self.tagKey))
            switch query.selection {
            case .everyone: break
            case .anyTag(let wanted): if keys.isDisjoint(with: wanted) { return false }
            case .allTags(let wanted): if !keys.isSuperset(of: wanted) { return false }
            }
            return keys.isDisjoint(with: excluded)
        }
        return .init(contacts: contacts, cursor: rows.count < limit ? nil : rows.last?.phone)
    }

    /// Contacts read column by column through SQLite's C API: GRDB's rows look every column up by name (a
    /// lowercased copy each time), which was most of the time of reading a million-contact audience.
    private static func fetchContacts(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [Contact] {
        let statement = try db.cachedStatement(
            sql: "SELECT phone, name, tags, fields, active, opted_out, opted_out_at, opt_out_source, opt_out_scope FROM contacts WHERE " + clause
        )
        try statement.setArguments(arguments)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        func text(_ column: Int32) -> String? {
            guard let start = sqlite3_column_text(handle, column) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: start, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
        }
        var contacts: [Contact] = []
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            contacts.append(
                Contact(
                    phone: text(0) ?? "",
                    name: text(1) ?? "",
                    tags: decodeTags(text(2)),
                    fields: decodeFields(text(3)),
                    active: sqlite3_column_int(handle, 4) == 1,
                    optedOut: sqlite3_column_int(handle, 5) == 1,
                    optedOutAt: text(6),
                    optOutSource: text(7),
                    optOutScope: text(8).flatMap(Contact.OptOutScope.init(rawValue:))
                )
            )
        }
        return contacts
    }

    /// The stored contacts among these numbers, by number (a number not in the registry is absent).
    public func contacts(phones: [String]) throws(ContactsError) -> [String: Contact] {
        guard !phones.isEmpty else { return [:] }
        return try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM contacts WHERE phone IN (SELECT value FROM json_each(?))",
                arguments: [CompactJSON.array(phones)]
            )
            return Dictionary(rows.map(Self.contact(from:)).map { ($0.phone, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
