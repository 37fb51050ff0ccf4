import Foundation
import GRDB

extension ContactRegistry {
    /// A tag as audiences compare it: case does not matter (Unicode lowercase, as staff expect "VIP" and
    /// "vip" to be one tag).
    public static func tagKey(_ tag: String) -> String { tag.lowercased() }

    /// `wabulk_tag_key(text)`: `tagKey` inside SQLite, for the triggers that keep `contact_tags`.
    static let tagKeyFunction = DatabaseFunction("wabulk_tag_key", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return nil }
        return tagKey(text)
    }

    /// `contact_tags` holds one row per contact and tag key, so an audience by tag is an index range instead
    /// of a JSON parse of every contact. Triggers keep it in step with `contacts.tags` whichever statement
    /// writes them (imports, merges inside SQLite, retagging, opt-outs adding unknown numbers).
    static func createTagTable(_ db: Database) throws {
        guard try !db.tableExists("contact_tags") else { return }
        try db.execute(
            sql: """
                CREATE TABLE contact_tags (
                    tag TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    PRIMARY KEY (tag, phone)
                ) WITHOUT ROWID;
                CREATE INDEX contact_tags_by_phone ON contact_tags (phone);
                INSERT OR IGNORE INTO contact_tags (tag, phone)
                    SELECT wabulk_tag_key(json_each.value), contacts.phone FROM contacts, json_each(contacts.tags)
                    WHERE contacts.tags != '[]';
                CREATE TRIGGER contact_tags_on_insert AFTER INSERT ON contacts WHEN NEW.tags != '[]' BEGIN
                    INSERT OR IGNORE INTO contact_tags (tag, phone) SELECT wabulk_tag_key(value), NEW.phone FROM json_each(NEW.tags);
                END;
                CREATE TRIGGER contact_tags_on_update AFTER UPDATE OF tags ON contacts WHEN NEW.tags != OLD.tags BEGIN
                    DELETE FROM contact_tags WHERE phone = OLD.phone;
                    INSERT OR IGNORE INTO contact_tags (tag, phone) SELECT wabulk_tag_key(value), NEW.phone FROM json_each(NEW.tags);
                END;
                CREATE TRIGGER contact_tags_on_delete AFTER DELETE ON contacts WHEN OLD.tags != '[]' BEGIN
                    DELETE FROM contact_tags WHERE phone = OLD.phone;
                END;
                """
        )
    }

    /// Which of these tag keys at least one contact carries.
    public func knownTags(_ keys: [String]) throws(ContactsError) -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try read { db in
            var known = Set<String>()
            for key in Set(keys)
            where try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM contact_tags WHERE tag = ?)", arguments: [key]) == true {
                known.insert(key)
            }
            return known
        }
    }
}
