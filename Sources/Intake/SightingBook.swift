import Foundation

/// Size and modification time of each inbox file when first seen unchanged.
final class SightingBook: @unchecked Sendable {
    private struct Sighting {
        var size: Int64
        var mtime: Date
        var since: Date
    }
    private var seen: [String: Sighting] = [:]
    private let lock = NSLock()

    func isSettled(name: String, size: Int64, mtime: Date, now: Date, settle: TimeInterval) -> Bool {
        lock.withLock {
            if let s = seen[name], s.size == size, s.mtime == mtime {
                return now.timeIntervalSince(s.since) >= settle
            }
            seen[name] = Sighting(size: size, mtime: mtime, since: now)
            return settle <= 0
        }
    }

    /// Whether a file seen earlier has now been still for the settle time (so it is worth a scan now).
    func settlesBy(_ now: Date, settle: TimeInterval) -> Bool {
        lock.withLock { seen.values.contains { now.timeIntervalSince($0.since) >= settle } }
    }

    func forget(_ name: String) { lock.withLock { _ = seen.removeValue(forKey: name) } }
    func forget(except names: Set<String>) { lock.withLock { seen = seen.filter { names.contains($0.key) } } }
}
