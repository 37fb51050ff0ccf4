import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One daemon per home: an exclusive `flock` on `var/daemon.lock`, holding the owner's PID. Two daemons on
/// one home would each pace sending on their own (twice the rate) and each put the other's claimed jobs
/// back in line at start-up (duplicates). The lock lives as long as the process: the kernel lets go of it
/// when the process ends, however it ends, so a crash never leaves a stale lock behind.
public struct HomeLock: Sendable {
    public enum LockError: Error, Equatable, CustomStringConvertible {
        case held(path: String, pid: String)
        case cannotOpen(path: String, reason: String)

        public var description: String {
            switch self {
            case .held(let path, let pid):
                "another wabulk daemon is running on this home (pid \(pid.isEmpty ? "unknown" : pid), lock \(path)); stop it first"
            case .cannotOpen(let path, let reason): "cannot open the daemon lock \(path): \(reason)"
            }
        }
    }

    public let path: String

    /// Takes the lock or says who holds it; never waits.
    public init(home: HomeLayout) throws(LockError) {
        path = home.state.appendingPathComponent("daemon.lock").path
        try? FileManager.default.createDirectory(at: home.state, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let pid = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .held(path: path, pid: pid)
        }
        // Kept open on purpose (never closed): closing any descriptor of it would release the lock.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
    }
}
