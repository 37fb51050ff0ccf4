import GRDB
import GRDBSQLite

/// One execution of a prepared statement with values bound straight through SQLite's C API.
struct RawInsert {
    enum Value {
        case text(String)
        case real(Double)
        case integer(Int)
        case null
    }

    let statement: Statement

    init(_ statement: Statement) { self.statement = statement }

    func bind(_ values: [Value]) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let code: Int32
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
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding argument \(index)") }
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
