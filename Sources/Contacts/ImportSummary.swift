/// What one contacts import did: the numbers a receipt shows.
public struct ImportSummary: Codable, Sendable, Equatable {
    public var rowsRead = 0
    public var inserted = 0
    /// Already in the registry: tags and fields merged.
    public var updated = 0
    public var duplicatesInFile = 0
    public var rejected = 0
    public var skippedOptedOut = 0
    public var skippedRemoved = 0
    /// Numbers opted out by an opt-out file (`optout…` / `unsubscribe…`).
    public var optedOut = 0
    public var encoding = ""
    public var delimiter = ""
    public var durationSeconds = 0.0

    public init() {}
}

/// A row that could not be used, with where and why.
public struct RejectedRow: Codable, Sendable, Equatable {
    /// The row number Excel shows (the header is row 1).
    public var row: Int
    public var column: String
    public var value: String
    public var reason: String

    public init(row: Int, column: String, value: String, reason: String) {
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason
    }
}

public struct ImportResult: Sendable, Equatable {
    public var summary: ImportSummary
    public var rejected: [RejectedRow]
    /// True when this exact file had been imported before (e.g. a crash before its receipt): nothing changed.
    public var alreadyImported: Bool
    /// Numbers an opt-out file opted out (empty for a file imported before: the daemon's start-up
    /// reconciliation hands those to the spool).
    public var optedOut: [String]
}
