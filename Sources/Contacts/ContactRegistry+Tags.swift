import Foundation
import GRDB

extension ContactRegistry {
    /// A tag as audiences compare it: ASCII letters without regard to case ("VIP" and "vip" are one tag),
    /// as SQLite's LIKE compares them. Other letters compare as written.
    public static func tagKey(_ tag: String) -> String {
        var tag = tag
        return tag.withUTF8 { bytes in
            guard bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return String(decoding: bytes, as: UTF8.self) }
            return String(decoding: bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }, as: UTF8.self)
        }
    }

    /// A LIKE pattern (escape `\`) that holds for every contact whose tag list has this tag, and for few
    /// others: the tag as the list's JSON writes it, quotes included. Rows it lets through are checked
    /// exactly against their decoded tags. A tag table kept by triggers was tried: it made importing a
    /// million tagged rows two to three times slower (docs/BENCHMARKS.md, issue 22).
    static func likePattern(_ tag: String) -> String {
        let encoded = String(CompactJSON.array([tag]).dropFirst().dropLast())
        var pattern = "%"
        for c in encoded {
            if c == "%" || c == "_" || c == "\\" { pattern.append("\\") }
            pattern.append(c)
        }
        return pattern + "%"
    }

    /// Drops the tag table and its triggers that a build of 2026-12-05 made (never released), so such a
    /// registry imports at full speed again.
    static func dropTagTable(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP TRIGGER IF EXISTS contact_tags_on_insert;
                DROP TRIGGER IF EXISTS contact_tags_on_update;
                DROP TRIGGER IF EXISTS contact_tags_on_delete;
                DROP TABLE IF EXISTS contact_tags;
                """
        )
    }

    /// Which of these tag keys at least one contact carries.
    public func knownTags(_ keys: [String]) throws(ContactsError) -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try read { db in
            var known = Set<String>()
            for key in Set(keys) {
                let rows = try String.fetchCursor(
                    db,
                    sql: #"SELECT tags FROM contacts WHERE tags LIKE ? ESCAPE '\'"#,
                    arguments: [Self.likePattern(key)]
                )
                while let tags = try rows.next() {
                    if Self.decodeTags(tags).contains(where: { Self.tagKey($0) == key }) {
                        known.insert(key)
                        break
                    }
                }
            }
            return known
        }
    }
}
