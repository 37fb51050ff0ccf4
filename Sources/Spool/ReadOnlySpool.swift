import Foundation
import GRDB

/// Read-only connections to spools, one per folder, kept: counting the queue (`wabulk status`, the daemon's
/// unauthenticated /metrics) must never open a write transaction, which `Spool.openDatabase` does to make
/// sure of its tables, nor open a new pool per call.
enum ReadOnlySpool {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pools: [String: DatabasePool] = [:]

    static func pool(in directory: URL) throws -> DatabasePool {
        let path = Spool.databaseFile(in: directory).path
        return try lock.withLock {
            if let pool = pools[path] { return pool }
            var config = Configuration()
            config.readonly = true
            let pool = try DatabasePool(path: path, configuration: config)
            pools[path] = pool
            return pool
        }
    }
}
