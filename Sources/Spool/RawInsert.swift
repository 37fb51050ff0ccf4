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

    /// Resets, binds `values` to parameters 1, 2, … and steps once. Texts are bound in place (SQLITE_STATIC)
    /// while their bytes are pinned, one nested closure each, so SQLite copies none of them.
    func run(_ values: [Value], _ db: Database) throws {
        sqlite3_reset(statement.sqliteStatement)
        try bindPinned(values[...], at: 1, db)
    }

    private func bindPinned(_ values: ArraySlice<Value>, at index: Int32, _ db: Database) throws {
        guard let value = values.first else { return try step(db) }
        let handle = statement.sqliteStatement
        func check(_ code: Int32) throws {
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding argument \(index)") }
        }
        switch value {
        case .text(var text):
            return try text.withUTF8 { utf8 in
                if let start = utf8.baseAddress, !utf8.isEmpty {
                    try check(sqlite3_bind_text(handle, index, start, Int32(utf8.count), nil))
                } else {
                    // A null pointer would bind NULL, not an empty text.
                    try check(sqlite3_bind_text(handle, index, "", 0, nil))
                }
                // The bytes stay pinned until the row is stepped: the rest is bound inside this closure.
                try bindPinned(values.dropFirst(), at: index + 1, db)
            }
        case .real(let number): try check(sqlite3_bind_double(handle, index, number))
        case .integer(let number): try check(sqlite3_bind_int64(handle, index, Int64(number)))
        case .null: try check(sqlite3_bind_null(handle, index))
        }
        try bindPinned(values.dropFirst(), at: index + 1, db)
    }

    private func step(_ db: Database) throws {
        let code = sqlite3_step(statement.sqliteStatement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
}
