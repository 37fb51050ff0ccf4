import Foundation
import GRDB
import WabulkBase

/// The contacts registry: one SQLite file in WAL mode, unique on the E.164 number.
public final class ContactRegistry: Sendable {
    let pool: DatabasePool

    /// `busyTimeout`: how long a write waits for another connection's (an import's) write lock before it fails
    /// with "database is locked"; a follower that retries uses a short one so it never blocks a thread for long.
    public init(path: URL, busyTimeout: TimeInterval = 60) throws(ContactsError) {
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            var config = Configuration()
            config.busyMode = .timeout(busyTimeout)
            config.prepareDatabase { db in
                // The unique index outgrows SQLite's default 2 MiB cache at a few hundred thousand rows; 40 MB keeps
                // a million-row import fast while the whole process stays under 150 MB.
                // Readers (audiences, lookups) go through pages once: they keep SQLite's default cache.
                if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -40000") }
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            pool = try DatabasePool(path: path.path, configuration: config)
            // Looked at first with a read: while an import holds the write lock, opening the registry (every
            // CLI command, the daemon's start) must not wait for it.
            let current = try pool.read { db in
                try db.tableExists("imports") && db.tableExists("contacts") && db.columns(in: "contacts").contains { $0.name == "preference_at" }
                    && db.tableExists("user_links") && !db.tableExists("contact_tags")
            }
            if !current {
                try pool.write { db in
                    try db.execute(
                        sql: """
                            CREATE TABLE IF NOT EXISTS contacts (
                                phone TEXT PRIMARY KEY NOT NULL,
                                name TEXT NOT NULL DEFAULT '',
                                tags TEXT NOT NULL DEFAULT '[]',
                                fields TEXT NOT NULL DEFAULT '{}',
                                active INTEGER NOT NULL DEFAULT 1,
                                opted_out INTEGER NOT NULL DEFAULT 0,
                                opted_out_at TEXT,
                                opt_out_source TEXT,
                                created_at TEXT NOT NULL,
                                updated_at TEXT NOT NULL
                            ) WITHOUT ROWID;
                            CREATE TABLE IF NOT EXISTS imports (
                                fingerprint TEXT PRIMARY KEY NOT NULL,
                                file TEXT NOT NULL,
                                imported_at TEXT NOT NULL,
                                summary TEXT NOT NULL
                            );
                            """
                    )
                    // Registries made before opt-outs had a scope and a time of their own.
                    let columns = try db.columns(in: "contacts").map(\.name)
                    if !columns.contains("opt_out_scope") { try db.execute(sql: "ALTER TABLE contacts ADD COLUMN opt_out_scope TEXT") }
                    if !columns.contains("preference_at") { try db.execute(sql: "ALTER TABLE contacts ADD COLUMN preference_at REAL") }
                    // Meta's business-scoped user ids: which number each belongs to, and choices made by a
                    // user known by that id alone, waiting for the number.
                    try db.execute(
                        sql: """
                            CREATE TABLE IF NOT EXISTS user_links (
                                user_id TEXT PRIMARY KEY NOT NULL,
                                phone TEXT NOT NULL,
                                linked_at TEXT NOT NULL
                            ) WITHOUT ROWID;
                            CREATE TABLE IF NOT EXISTS pending_preferences (
                                user_id TEXT NOT NULL,
                                opted_out INTEGER NOT NULL,
                                scope TEXT NOT NULL,
                                source TEXT NOT NULL,
                                at REAL NOT NULL
                            );
                            CREATE INDEX IF NOT EXISTS pending_by_user ON pending_preferences (user_id);
                            """
                    )
                    try Self.dropTagTable(db)
                }
            }
        } catch {
            throw .database(reason: "\(error)")
        }
    }

    public func count(reachableOnly: Bool = false) throws(ContactsError) -> Int {
        try read { db in
            try Int.fetchOne(
                db,
                sql: reachableOnly
                    ? "SELECT COUNT(*) FROM contacts WHERE active = 1 AND opted_out = 0"
                    : "SELECT COUNT(*) FROM contacts"
            ) ?? 0
        }
    }

    public func contact(phone: String) throws(ContactsError) -> Contact? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM contacts WHERE phone = ?", arguments: [phone]).map(Self.contact(from:))
        }
    }

    /// Every contact, reachable or not, in phone order.
    public func all() throws(ContactsError) -> [Contact] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM contacts ORDER BY phone").map(Self.contact(from:)) }
    }

    /// The summary stored for a file already imported, so a file processed again after a crash is not imported twice.
    public func importSummary(fingerprint: String) throws(ContactsError) -> Data? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT summary FROM imports WHERE fingerprint = ?", arguments: [fingerprint]).map { Data($0.utf8) }
        }
    }

    /// What merging a batch did.
    public struct MergeCounts: Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var skippedOptedOut = 0
        public var skippedRemoved = 0
    }

    /// Merges contacts in one transaction: all of them land or none.
    /// Tags are united, fields updated; opted-out and removed contacts stay as they are.
    public func merge(_ contacts: [Contact], now: Date) throws(ContactsError) -> MergeCounts {
        try importing(now: now) { merger in
            for c in contacts { try merger.merge(c) }
            return merger.counts
        }
    }

    func readOnly<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    func writeTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    func read<T>(_ body: (Database) throws -> T) throws(ContactsError) -> T {
        do { return try pool.read(body) } catch { throw .database(reason: "\(error)") }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(ContactsError) -> T {
        do { return try pool.write(body) } catch { throw .database(reason: "\(error)") }
    }

    static func contact(from row: Row) -> Contact {
        Contact(
            phone: row["phone"],
            name: row["name"],
            tags: decodeTags(row["tags"]),
            fields: decodeFields(row["fields"]),
            active: (row["active"] as Int) == 1,
            optedOut: (row["opted_out"] as Int) == 1,
            optedOutAt: row["opted_out_at"],
            optOutSource: row["opt_out_source"],
            optOutScope: (row["opt_out_scope"] as String?).flatMap(Contact.OptOutScope.init(rawValue:))
        )
    }

    static func decodeTags(_ text: String?) -> [String] {
        guard let text, text != "[]" else { return [] }
        // The registry writes these columns itself (CompactJSON); anything else there is not a tag list.
        return CompactJSON.strings(text) ?? []
    }

    static func decodeFields(_ text: String?) -> [String: String] {
        guard let text, text != "{}" else { return [:] }
        return CompactJSON.stringObject(text) ?? [:]
    }

    static func encode(_ tags: [String]) -> String { CompactJSON.array(tags) }
    static func encode(_ fields: [String: String]) -> String { CompactJSON.object(fields) }
}
