import Foundation
import GRDB
import WabulkBase

extension ContactRegistry {
    /// Contacts in phone order, optionally with a tag and/or a search over name, phone and fields.
    public func list(
        tag: String? = nil,
        search: String? = nil,
        limit: Int? = nil,
        offset: Int = 0,
        includeRemoved: Bool = false
    ) throws(ContactsError) -> [Contact] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if !includeRemoved { clauses.append("active = 1") }
        if let tag {
            clauses.append("EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE lower(json_each.value) = lower(?))")
            arguments.append(tag)
        }
        if let search {
            clauses.append("(phone LIKE ? OR name LIKE ? OR fields LIKE ?)")
            let like = "%\(search)%"
            arguments += [like, like, like]
        }
        var sql = "SELECT * FROM contacts"
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY phone LIMIT ? OFFSET ?"
        arguments += [limit ?? -1, offset]
        let args = StatementArguments(arguments.map { $0.databaseValue })
        return try readRows { db in try Row.fetchAll(db, sql: sql, arguments: args).map(ContactRegistry.contact(from:)) }
    }

    /// Every tag in use by active contacts with how many carry it.
    public func tagCounts() throws(ContactsError) -> [(tag: String, count: Int)] {
        try readRows { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT json_each.value AS tag, COUNT(*) AS n FROM contacts, json_each(contacts.tags)
                    WHERE contacts.active = 1 GROUP BY json_each.value ORDER BY n DESC, tag
                    """
            ).map { (tag: $0["tag"] as String, count: $0["n"] as Int) }
        }
    }

    /// Adds and removes tags on the given numbers; returns how many contacts changed.
    @discardableResult
    public func retag(phones: [String], add: [String], remove: [String], now: Date) throws(ContactsError) -> Int {
        try importing(now: now) { merger in
            var changed = 0
            for phone in phones {
                guard let row = try Row.fetchOne(merger.db, sql: "SELECT tags FROM contacts WHERE phone = ?", arguments: [phone]) else { continue }
                var tags = ContactRegistry.decodeTags(row["tags"])
                let before = tags
                for t in add where !tags.contains(t) { tags.append(t) }
                tags.removeAll { t in remove.contains { $0.lowercased() == t.lowercased() } }
                if tags != before {
                    try merger.db.execute(
                        sql: "UPDATE contacts SET tags = ?, updated_at = ? WHERE phone = ?",
                        arguments: [ContactRegistry.encode(tags), merger.stamp, phone]
                    )
                    changed += 1
                }
            }
            return changed
        }
    }

    func readRows<T>(_ body: (Database) throws -> [T]) throws(ContactsError) -> [T] {
        do { return try readOnly(body) } catch { throw .database(reason: "\(error)") }
    }
}
