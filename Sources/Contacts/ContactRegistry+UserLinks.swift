import Foundation
import GRDB
import WabulkBase

/// Meta's business-scoped user ids (BSUIDs): a person with a username may reach wabulk by that id alone.
/// The registry keeps which number each id belongs to, learned from any webhook that carries both, and
/// keeps a choice made by an id not yet linked until its number is known.
extension ContactRegistry {
    /// A choice made by a user known only by their id.
    public struct PendingPreference: Sendable, Equatable {
        public var userID: String
        public var optedOut: Bool
        public var scope: Contact.OptOutScope
        public var source: String
        public var at: Date

        public init(userID: String, optedOut: Bool, scope: Contact.OptOutScope, source: String, at: Date) {
            self.userID = userID
            self.optedOut = optedOut
            self.scope = scope
            self.source = source
            self.at = at
        }

        public func change(for phone: String) -> PreferenceChange {
            PreferenceChange(phone: phone, optedOut: optedOut, scope: scope, source: source, at: at)
        }
    }

    /// The number a user id belongs to, once a webhook has named both.
    public func phone(userID: String) throws(ContactsError) -> String? {
        do {
            return try pool.read { db in try String.fetchOne(db, sql: "SELECT phone FROM user_links WHERE user_id = ?", arguments: [userID]) }
        } catch {
            throw .database(reason: "\(error)")
        }
    }

    /// Records that `userID` is `phone`; returns (and forgets) the choices that waited for it, oldest first.
    public func link(userID: String, phone: String, at: Date) throws(ContactsError) -> [PreferenceChange] {
        do {
            return try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO user_links (user_id, phone, linked_at) VALUES (?, ?, ?)
                        ON CONFLICT(user_id) DO UPDATE SET phone = excluded.phone, linked_at = excluded.linked_at
                        """,
                    arguments: [userID, phone, Timestamp.format(at)]
                )
                let rows = try Row.fetchAll(
                    db,
                    sql: "DELETE FROM pending_preferences WHERE user_id = ? RETURNING opted_out, scope, source, at",
                    arguments: [userID]
                )
                return rows.map { row in
                    PreferenceChange(
                        phone: phone,
                        optedOut: (row["opted_out"] as Int) != 0,
                        scope: Contact.OptOutScope(rawValue: row["scope"]) ?? .all,
                        source: row["source"],
                        at: Date(timeIntervalSince1970: row["at"])
                    )
                }
                .sorted { $0.at < $1.at }
            }
        } catch {
            throw .database(reason: "\(error)")
        }
    }

    /// Keeps a choice until the user's number is known.
    public func keep(_ pending: PendingPreference) throws(ContactsError) {
        do {
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO pending_preferences (user_id, opted_out, scope, source, at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [pending.userID, pending.optedOut ? 1 : 0, pending.scope.rawValue, pending.source, pending.at.timeIntervalSince1970]
                )
            }
        } catch {
            throw .database(reason: "\(error)")
        }
    }

    /// Choices still waiting for a number (for status and tests).
    public func pendingPreferences() throws(ContactsError) -> [PendingPreference] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT user_id, opted_out, scope, source, at FROM pending_preferences ORDER BY at").map { row in
                    PendingPreference(
                        userID: row["user_id"],
                        optedOut: (row["opted_out"] as Int) != 0,
                        scope: Contact.OptOutScope(rawValue: row["scope"]) ?? .all,
                        source: row["source"],
                        at: Date(timeIntervalSince1970: row["at"])
                    )
                }
            }
        } catch {
            throw .database(reason: "\(error)")
        }
    }
}
