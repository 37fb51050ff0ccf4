import GRDB
import GRDBSQLite

/// One execution of a prepared statement with values bound straight through SQLite's C API.
struct RawInsert {
    enum Value: Sendable {
        case text(String)
        case real(Double)
        case integer(Int)
        case null
    }

    let statement: Statement

    init(_ statement: Statement) { self.statement = statement }

    /// Resets the statement and binds `values` to parameters 1, 2, …
    func bind(_ values: [Value]) throws {
        sqlite3_reset(statement.sqliteStatement)
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    func bind(_ value: Value, at index: Int32) throws {
        let handle = statement.sqliteStatement
        let code: Int32
        do {
            switch value {
            case .text(var text):
                code = text.withUTF8 { utf8 in
                    // A null pointer would bind NULL, not an empty text.
                    guard let start = utf8.baseAddress, !utf8.isEmpty else { return sqlite3_bind_text(handle, index, "", 0, nil) }
                    return sqlite3_bind_text(handle, index, start, Int32(utf8.count), Self.transient)
                }
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, Int64(number))
            case .null: code = sqlite3_bind_null(handle, index)
            }
        }
        guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding argument \(index)") }
    }

    /// Resets, binds `values` to parameters 1, 2, … and steps once. Texts are bound in place (SQLITE_STATIC)
    /// while their bytes are pinned, one nested closure each, so SQLite copies none of them.
    func run(_ values: [Value], _ db: Database) throws {
        sqlite3_reset(statement.sqliteStatement)
        try bindPinned(values[...], at: 1, db)
    }

    private func bindPinned(_ values: ArraySlice<Value>, at index: Int32, _ db: Database) throws {
        guard let value = values.first else { return try step(db) }
        guard case .text(var text) = value else {
            try bind(value, at: index)
            return try bindPinned(values.dropFirst(), at: index + 1, db)
        }
        try text.withUTF8 { utf8 in
            let handle = statement.sqliteStatement
            let code =
                if let start = utf8.baseAddress, !utf8.isEmpty {
                    sqlite3_bind_text(handle, index, start, Int32(utf8.count), nil)
                } else {
                    sqlite3_bind_text(handle, index, "", 0, nil)
                }
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding argument \(index)") }
            try bindPinned(values.dropFirst(), at: index + 1, db)
        }
    }

    func step(_ db: Database) throws {
        let code = sqlite3_step(statement.sqliteStatement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
