import Foundation
import Spool

/// Messages whose request may have reached Meta with no answer back: found in flight after a crash, or
/// whose answer timed out within a run. The send API has no idempotency key, so each one waits, still
/// `active` in the spool, for a status webhook that carries its job id (biz_opaque_callback_data) until its
/// deadline; only then is it sent again. Shared by the workers that add and the follower that settles.
final class UnconfirmedSends: @unchecked Sendable {
    struct Entry: Sendable {
        var job: SpoolJob
        /// When the request that may have arrived was about to leave: webhooks about it come later.
        var sentAt: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        /// The answer timed out within this run (the attempt counts); false: in flight at a crash.
        var unanswered: Bool
    }

    private var entries: [String: Entry] = [:]
    /// The earliest `sentAt` added since the follower last looked: it may have read past that job's webhook.
    private var rewindTo: ContinuousClock.Instant?
    private let lock = NSLock()

    func add(_ entry: Entry) {
        lock.withLock {
            entries[entry.job.id] = entry
            rewindTo = min(rewindTo ?? entry.sentAt, entry.sentAt)
        }
    }

    var isEmpty: Bool { lock.withLock { entries.isEmpty } }

    func contains(_ id: String) -> Bool { lock.withLock { entries[id] != nil } }

    /// Removes and returns the entry: the one caller that gets it settles it.
    func take(_ id: String) -> Entry? { lock.withLock { entries.removeValue(forKey: id) } }

    func takeExpired(now: ContinuousClock.Instant) -> [Entry] {
        lock.withLock {
            let expired = entries.values.filter { $0.deadline <= now }
            for entry in expired { entries[entry.job.id] = nil }
            return expired.sorted { $0.job.id < $1.job.id }
        }
    }

    var nextDeadline: ContinuousClock.Instant? { lock.withLock { entries.values.map(\.deadline).min() } }

    func takeRewind() -> ContinuousClock.Instant? {
        lock.withLock {
            defer { rewindTo = nil }
            return rewindTo
        }
    }
}
