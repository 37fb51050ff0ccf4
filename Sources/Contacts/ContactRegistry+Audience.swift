import Foundation
import GRDB
import WabulkBase

extension ContactRegistry {
    /// The next `limit` contacts of the audience after `cursor` (a phone; nil from the start), in phone order,
    /// removed and opted-out ones included (the planner counts them as skipped). Keyset reads over the
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
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM contacts WHERE phone > ?\(excluded) ORDER BY phone LIMIT ?",
                    arguments: StatementArguments([after] + excludedArgument + [limit])
                )
                let contacts = rows.map(Self.contact(from:))
                return .init(contacts: contacts, cursor: rows.count < limit ? nil : contacts.last?.phone)
            case .anyTag(let keys), .allTags(let keys):
                let candidates = try Self.taggedPhones(db, query.selection, keys: keys, after: after, limit: limit)
                guard !candidates.isEmpty else { return .init(contacts: [], cursor: nil) }
                let contacts = try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM contacts WHERE phone IN (SELECT value FROM json_each(?))\(excluded) ORDER BY phone",
                    arguments: StatementArguments([CompactJSON.array(candidates)] + excludedArgument)
                ).map(Self.contact(from:))
                return .init(contacts: contacts, cursor: candidates.count < limit ? nil : candidates.last)
            }
        }
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
