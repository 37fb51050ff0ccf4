import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Linux inotify on one folder: notices local writes at once. Network shares deliver no events for
/// remote writers, so the inbox watcher still rescans on a timer; this only makes local drops quick.
final class InotifyWatch: @unchecked Sendable {
    private let fd: Int32
    private let dirty = NSLock()
    private var changed = false
    private var stopped = false
    private var thread: Thread?

    init?(path: String) {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_ATTRIB)
        guard inotify_add_watch(fd, path, mask) >= 0 else {
            close(fd)
            return nil
        }
        let t = Thread { [unowned self] in self.loop() }
        t.name = "wabulk.inotify"
        thread = t
        t.start()
    }

    /// True once after any event since the last call.
    func takeChange() -> Bool {
        dirty.withLock {
            defer { changed = false }
            return changed
        }
    }

    func stop() { dirty.withLock { stopped = true } }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while !dirty.withLock({ stopped }) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // Wake twice a second to notice stop() without needing to interrupt the read.
            guard poll(&p, 1, 500) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { dirty.withLock { changed = true } }
        }
        close(fd)
    }
}
