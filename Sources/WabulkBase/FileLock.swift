import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a lock file for the length of a read-change-write of an operator file that
/// more than one process writes (campaign records, the account state). Each call opens its own descriptor,
/// so threads of one process exclude each other too.
public enum FileLock {
    public static func withExclusive<T>(_ lockFile: URL, _ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: lockFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        let path = lockFile.path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw FileError.cannotWrite(path: path, errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw FileError.cannotWrite(path: path, errno: errno) }
        }
        return try body()
    }
}
