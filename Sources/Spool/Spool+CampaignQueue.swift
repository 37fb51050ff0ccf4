import DequeModule
import Foundation

extension Spool {
    /// What the index keeps per waiting job: enough to choose, not the job itself.
    struct Entry {
        var id: String
        var notBefore: Date?
    }

    /// Waiting jobs of one campaign: ready ones in planning order, deferred ones (few) by due time.
    struct CampaignQueue {
        var ready = Deque<Entry>()
        var deferred: [Entry] = []
        var isEmpty: Bool { ready.isEmpty && deferred.isEmpty }

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
