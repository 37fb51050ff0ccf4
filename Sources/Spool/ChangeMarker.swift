import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file in the spool replaced (a new inode every time) after each committed change of one table, so
/// other processes' readers notice with a stat instead of a query, and no change is missed within one
/// clock tick.
struct ChangeMarker: Sendable {
    struct Stamp: Equatable, Sendable {
        var inode: UInt64
        var seconds: Int
        var nanoseconds: Int
    }

    let file: URL

    func announce() {
        let directory = file.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(getpid()).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else { return }
        if rename(temporary.path, file.path) != 0 { unlink(temporary.path) }
    }

    /// Nil while no change was ever announced.
    func stamp() -> Stamp? {
        var info = stat()
        guard stat(file.path, &info) == 0 else { return nil }
        return Stamp(inode: UInt64(info.st_ino), seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec)
    }
}
