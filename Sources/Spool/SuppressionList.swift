import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// The dispatcher's copy of the spool's suppressions, asked right before every request leaves. It holds the
/// whole set in memory and reads only rows changed since its last look, and only when the marker file
/// that every writer replaces after committing has changed: one stat per send, no query (a hundred thousand
/// opted-out numbers cost nothing per message).
public final class SuppressionList: @unchecked Sendable {
    private let directory: URL
    private let lock = NSLock()
    private var scopes: [String: Suppression] = [:]
    private var lastSeq = 0
    private var seen: ChangeMarker.Stamp?
    private var database: DatabasePool?

    public init(spoolDirectory: URL) { directory = spoolDirectory }

    static func marker(in directory: URL) -> ChangeMarker { ChangeMarker(file: directory.appendingPathComponent("suppressions.changed")) }

    /// The suppression that stops a message of a template in `category` to `phone`, if any.
    public func blocking(_ phone: String, category: String?) throws -> Suppression? {
        try lock.withLock {
            try refreshIfChanged()
            guard let entry = scopes[phone], entry.scope.blocks(category: category) else { return nil }
            return entry
        }
    }

    /// Marks a number at once, in memory, before any store has it: the webhook listener's opt-outs take effect
    /// the moment they are answered. A later change of that number in the spool's table replaces the mark.
    public func mark(_ suppression: Suppression) {
        lock.withLock {
            scopes[suppression.phone] =
                scopes[suppression.phone].map {
                    Suppression(phone: $0.phone, scope: $0.scope.union(suppression.scope), source: $0.scope == .none ? suppression.source : $0.source)
                } ?? suppression
        }
    }

    public var count: Int { lock.withLock { scopes.values.filter { $0.scope != .none }.count } }

    private func refreshIfChanged() throws {
        let current = Self.marker(in: directory).stamp()
        if let seen, let current, seen == current { return }
        if seen == nil, current == nil, database != nil { return }
        guard FileManager.default.fileExists(atPath: Spool.databaseFile(in: directory).path) else {
            seen = current
            return
        }
        let pool = try database ?? Spool.openDatabase(in: directory)
        database = pool
        let rows = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT phone, scope, source, seq FROM suppressions WHERE seq > ? ORDER BY seq", arguments: [lastSeq])
        }
        for row in rows {
            let phone: String = row["phone"]
            scopes[phone] = Suppression(phone: phone, scope: Suppression.Scope(rawValue: row["scope"]) ?? .all, source: row["source"])
            lastSeq = max(lastSeq, row["seq"])
        }
        seen = current
    }
}
