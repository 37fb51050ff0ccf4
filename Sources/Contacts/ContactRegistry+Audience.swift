import Foundation
import GRDB
import GRDBSQLite
import WabulkBase

extension ContactRegistry {
    /// The next `limit` contacts of the audience after `cursor` (a phone; nil from the start), in phone order,
    /// removed and opted-out ones included (the planner counts them as skipped), without their tags. Keyset reads over the
    /// primary key and `contact_tags`, so a batch costs the same at the start and the end of a million.
    public func audienceBatch(_ query: AudienceQuery, after cursor: String?, limit: Int) throws(ContactsError) -> AudienceQuery.Batch {
        let after = cursor ?? ""
        let excluded =
            query.excludedTags.isEmpty
            ? "" : " AND NOT EXISTS (SELECT 1 FROM contact_tags x WHERE x.phone = contacts.phone AND x.tag IN (SELECT value FROM json_each(?)))"
        let excludedArgument: [any DatabaseValueConvertible] = query.excludedTags.isEmpty ? [] : [CompactJSON.array(query.excludedTags)]
        return try read { db in
            switch query.selection {
            case .everyone:
                let contacts = try Self.fetchContacts(
                    db,
                    where: "phone > ?\(excluded) ORDER BY phone LIMIT ?",
                    arguments: StatementArguments([after] + excludedArgument + [limit])
                )
                return .init(contacts: contacts, cursor: contacts.count < limit ? nil : contacts.last?.phone)
            case .anyTag(let keys) where keys.count == 1:
                // One tag: its index range joined to the contacts, no list of numbers in between.
                let contacts = try Self.fetchContacts(
                    db,
                    where: "phone IN (SELECT phone FROM contact_tags WHERE tag = ? AND phone > ? ORDER BY phone LIMIT ?)\(excluded) ORDER BY phone",
                    arguments: StatementArguments([keys[0], after, limit] + excludedArgument)
                )
                if query.excludedTags.isEmpty { return .init(contacts: contacts, cursor: contacts.count < limit ? nil : contacts.last?.phone) }
                // The exclusion may drop numbers of the range: where the range ends is read back.
                let range = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) AS n, max(phone) AS last FROM (SELECT phone FROM contact_tags WHERE tag = ? AND phone > ? ORDER BY phone LIMIT ?)",
                    arguments: [keys[0], after, limit]
                )
                return .init(contacts: contacts, cursor: (range?["n"] ?? 0) < limit ? nil : range?["last"])
            case .anyTag(let keys), .allTags(let keys):
                let candidates = try Self.taggedPhones(db, query.selection, keys: keys, after: after, limit: limit)
                guard !candidates.isEmpty else { return .init(contacts: [], cursor: nil) }
                let contacts = try Self.fetchContacts(
                    db,
                    where: "phone IN (SELECT value FROM json_each(?))\(excluded) ORDER BY phone",
                    arguments: StatementArguments([CompactJSON.array(candidates)] + excludedArgument)
                )
                return .init(contacts: contacts, cursor: candidates.count < limit ? nil : candidates.last)
            }
        }
    }

    /// Contacts read column by column through SQLite's C API: GRDB's rows look every column up by name (a
    /// lowercased copy each time), which was most of the time of reading a million-contact audience. Tags
    /// are left out (empty): the audience's tags were matched in SQL, and reading them was a tenth of the rest.
    private static func fetchContacts(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [Contact] {
        let statement = try db.cachedStatement(
            sql: "SELECT phone, name, fields, active, opted_out, opted_out_at, opt_out_source, opt_out_scope FROM contacts WHERE " + clause
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
                    fields: decodeFields(text(2)),
                    active: sqlite3_column_int(handle, 3) == 1,
                    optedOut: sqlite3_column_int(handle, 4) == 1,
                    optedOutAt: text(5),
                    optOutSource: text(6),
                    optOutScope: text(7).flatMap(Contact.OptOutScope.init(rawValue:))
                )
            )
        }
        return contacts
    }

    /// The first `limit` numbers after `after` carrying any (or all) of the tags. Any: each tag's own first
    /// `limit` merged, which holds the union's first `limit` (no sort over the whole union per batch).
    private static func taggedPhones(
        _ db: Database,
        _ selection: AudienceQuery.Selection,
        keys: [String],
        after: String,
        limit: Int
    ) throws -> [String] {
        guard let first = keys.first else { return [] }
        if case .allTags = selection {
            let others = Array(keys.dropFirst())
            let also =
                others.isEmpty
                ? ""
                : " AND (SELECT COUNT(*) FROM contact_tags u WHERE u.phone = t.phone AND u.tag IN (SELECT value FROM json_each(?))) = \(others.count)"
            let arguments: [any DatabaseValueConvertible] =
                others.isEmpty ? [first, after, limit] : [first, after, CompactJSON.array(others), limit]
            return try String.fetchAll(
                db,
                sql: "SELECT t.phone FROM contact_tags t WHERE t.tag = ? AND t.phone > ?\(also) ORDER BY t.phone LIMIT ?",
                arguments: StatementArguments(arguments)
            )
        }
        let statement = try db.cachedStatement(sql: "SELECT phone FROM contact_tags WHERE tag = ? AND phone > ? ORDER BY phone LIMIT ?")
        if keys.count == 1 { return try String.fetchAll(statement, arguments: [first, after, limit]) }
        var union = Set<String>()
        for key in keys { union.formUnion(try String.fetchAll(statement, arguments: [key, after, limit])) }
        return Array(union.sorted().prefix(limit))
    }
}

extension ContactRegistry {
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
