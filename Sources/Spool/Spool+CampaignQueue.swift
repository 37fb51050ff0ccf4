import DequeModule
import Foundation

extension Spool {
    /// What the index keeps per waiting job: enough to choose, not the job itself.
    struct Entry {
        var id: String
        var notBefore: Date?
    }

    /// Waiting jobs of one campaign: ready ones in planning order, a window at a time (a million-job campaign
    /// would otherwise be a million entries in memory), deferred ones (few) by due time.
    struct CampaignQueue {
        static let window = 1_000

        var ready = Deque<Entry>()
        /// Ready jobs wait in the database after `lastReady`, not yet read into `ready`.
        var moreReady = false
        /// The last ready job read (or added) in planning order.
        var lastReady: String?
        var deferred: [Entry] = []
        var isEmpty: Bool { ready.isEmpty && deferred.isEmpty && !moreReady }

        /// A job just made ready: into the window while it has room and the database holds none before it.
        mutating func addReady(_ entry: Entry) {
            if let lastReady, entry.id <= lastReady {
                // Out of planning order (never from the planner): kept with the deferred ones, by due time.
                deferred.append(entry)
            } else if moreReady || ready.count >= Self.window {
                moreReady = true
            } else {
                ready.append(entry)
                lastReady = entry.id
            }
        }

        mutating func takeDue(now: Date) -> Entry? {
            if let i = deferred.indices.min(by: { deferred[$0].notBefore ?? .distantPast < deferred[$1].notBefore ?? .distantPast }),
                (deferred[i].notBefore ?? .distantPast) <= now
            {
                return deferred.remove(at: i)
            }
            if let first = ready.first, (first.notBefore ?? .distantPast) <= now {
                return ready.removeFirst()
            }
            return nil
        }
    }
}
