import Foundation
import WabulkBase

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

    /// Thrown when it cannot be replaced: the change is committed, but readers would not notice it until
    /// their next start, so the caller must hear of it.
    func announce() throws(FileError) {
        let directory = file.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(getpid()).\(UUID().uuidString)")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotWrite(path: temporary.path, errno: errno) }
        close(fd)
        guard rename(temporary.path, file.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw .cannotMove(from: temporary.path, to: file.path, errno: code)
        }
    }

    /// Nil while no change was ever announced.
    func stamp() -> Stamp? {
        var info = stat()
        guard stat(file.path, &info) == 0 else { return nil }
        return Stamp(inode: UInt64(info.st_ino), seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec)
    }
}
