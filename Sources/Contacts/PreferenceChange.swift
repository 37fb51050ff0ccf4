import Foundation
import GRDB
import WabulkBase

/// One opt-out or opt-in as it reaches the registry, with the time it was made: Meta's timestamp for a
/// webhook, the moment of recording for staff and operator. An older change never overrides a newer one,
/// whatever order they arrive in; at the same second an opt-out wins.
public struct PreferenceChange: Sendable, Equatable {
    public var phone: String
    public var optedOut: Bool
    public var scope: Contact.OptOutScope
    public var source: String
    public var at: Date

    public init(phone: String, optedOut: Bool, scope: Contact.OptOutScope = .all, source: String, at: Date) {
        self.phone = phone
        self.optedOut = optedOut
        self.scope = scope
        self.source = source
        self.at = at
    }

    /// The registry's answer after a change: what the number's state now is, and whether this change made it.
    public struct Result: Sendable, Equatable {
        public var phone: String
        /// The scope of the opt-out now in force; nil when the number may be messaged.
        public var scope: Contact.OptOutScope?
        /// Who recorded what is now in force.
        public var source: String?
        public var active: Bool
        /// False when the change was older than what the registry held, or changed nothing.
        public var changed: Bool
        /// True when the registry holds a newer preference than this change.
        public var superseded: Bool

        public init(phone: String, scope: Contact.OptOutScope?, source: String?, active: Bool, changed: Bool, superseded: Bool) {
            self.phone = phone
            self.scope = scope
            self.source = source
            self.active = active
            self.changed = changed
            self.superseded = superseded
        }
    }

    func apply(in db: Database, stamp: String) throws -> Result {
        let at = self.at.timeIntervalSince1970
        let row = try Row.fetchOne(
            db,
            sql: "SELECT opted_out, opt_out_scope, opt_out_source, preference_at, active FROM contacts WHERE phone = ?",
            arguments: [phone]
        )
        guard let row else {
            // Unknown numbers are added opted out, so no later import can make them reachable; an opt-in of a
            // number nobody imported has nothing to change.
            guard optedOut else { return Result(phone: phone, scope: nil, source: nil, active: true, changed: false, superseded: false) }
            try db.execute(
                sql: """
                    INSERT INTO contacts (phone, opted_out, opted_out_at, opt_out_source, opt_out_scope, preference_at, created_at, updated_at)
                    VALUES (?, 1, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [phone, Timestamp.format(self.at), source, scope.rawValue, at, stamp, stamp]
            )
            return Result(phone: phone, scope: scope, source: source, active: true, changed: true, superseded: false)
        }
        let wasOut = (row["opted_out"] as Int) == 1
        let current: Contact.OptOutScope? = wasOut ? (row["opt_out_scope"] as String?).flatMap(Contact.OptOutScope.init(rawValue:)) ?? .all : nil
        let active = (row["active"] as Int) == 1
        let currentSource: String? = row["opt_out_source"]
        let stored: Double? = row["preference_at"]
        if let stored, at < stored || (at == stored && !optedOut && wasOut) {
            return Result(phone: phone, scope: current, source: currentSource, active: active, changed: false, superseded: true)
        }
        if optedOut {
            let scope = current == .all || scope == .all ? Contact.OptOutScope.all : .marketing
            if current == scope {
                // Already out as widely: only the time moves, so an older opt-in arriving later stays older.
                try db.execute(sql: "UPDATE contacts SET preference_at = ? WHERE phone = ?", arguments: [at, phone])
                return Result(phone: phone, scope: scope, source: currentSource, active: active, changed: false, superseded: false)
            }
            try db.execute(
                sql: """
                    UPDATE contacts SET opted_out = 1, opt_out_scope = ?, opted_out_at = ?, opt_out_source = ?, preference_at = ?, updated_at = ?
                    WHERE phone = ?
                    """,
                arguments: [scope.rawValue, Timestamp.format(self.at), source, at, stamp, phone]
            )
            return Result(phone: phone, scope: scope, source: source, active: active, changed: true, superseded: false)
        }
        try db.execute(
            sql: """
                UPDATE contacts SET opted_out = 0, opt_out_scope = NULL, opted_out_at = NULL, opt_out_source = ?, preference_at = ?, updated_at = ?
                WHERE phone = ?
                """,
            arguments: [source, at, stamp, phone]
        )
        return Result(phone: phone, scope: nil, source: source, active: active, changed: wasOut, superseded: false)
    }
}

extension ContactRegistry {
    /// Applies opt-outs and opt-ins in one transaction, each against the time of the last one applied to its
    /// number; returns each number's state afterwards.
    public func apply(_ changes: [PreferenceChange], now: Date = Date()) throws(ContactsError) -> [PreferenceChange.Result] {
        try importing(now: now) { merger in try changes.map { try $0.apply(in: merger.db, stamp: merger.stamp) } }
    }

    /// Soft-deletes contacts: they stay (so no import brings them back; an unknown number is added as removed)
    /// but are never messaged again. Returns the numbers that changed.
    @discardableResult
    public func remove(phones: [String], at date: Date) throws(ContactsError) -> [String] {
        try importing(now: date) { merger in
            try phones.filter { phone in
                try merger.db.execute(
                    sql: """
                        INSERT INTO contacts (phone, active, created_at, updated_at) VALUES (?1, 0, ?2, ?2)
                        ON CONFLICT(phone) DO UPDATE SET active = 0, updated_at = ?2 WHERE active = 1
                        """,
                    arguments: [phone, merger.stamp]
                )
                return merger.db.changesCount > 0
            }
        }
    }

    /// The time of the last preference applied to each number that has one.
    public func preferenceTimes(_ phones: [String]) throws(ContactsError) -> [String: Date] {
        guard !phones.isEmpty else { return [:] }
        return try read { db in
            var times: [String: Date] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT phone, preference_at FROM contacts WHERE phone IN (SELECT value FROM json_each(?)) AND preference_at IS NOT NULL",
                arguments: [CompactJSON.array(phones)]
            ) {
                times[row["phone"]] = Date(timeIntervalSince1970: row["preference_at"])
            }
            return times
        }
    }

    /// Every number that must not be messaged (opted out, or removed), for the spool's suppressions.
    public func unreachable() throws(ContactsError) -> [PreferenceChange.Result] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT phone, opted_out, opt_out_scope, opt_out_source, active FROM contacts WHERE opted_out = 1 OR active = 0"
            )
            .map { row in
                let out = (row["opted_out"] as Int) == 1
                return PreferenceChange.Result(
                    phone: row["phone"],
                    scope: out ? (row["opt_out_scope"] as String?).flatMap(Contact.OptOutScope.init(rawValue:)) ?? .all : nil,
                    source: row["opt_out_source"],
                    active: (row["active"] as Int) == 1,
                    changed: false,
                    superseded: false
                )
            }
        }
    }

    /// Opted-out contacts, most recent first, for `wabulk contacts list --opted-out`.
    public func optedOut() throws(ContactsError) -> [Contact] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM contacts WHERE opted_out = 1 ORDER BY opted_out_at DESC, phone").map(
                ContactRegistry.contact(from:)
            )
        }
    }
}
