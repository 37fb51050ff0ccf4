import Foundation

/// The (number, user id) pairs this listener has already logged as `userLink` events, so a person whose
/// every status carries both is linked once per run, not once per status. Bounded: when full it starts
/// over (a pair logged again costs one line and an idempotent write).
final class UserLinkBook: @unchecked Sendable {
    private let lock = NSLock()
    private var pairs: Set<String> = []
    private let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    static func key(phone: String, userID: String) -> String { phone + " " + userID }

    func contains(phone: String, userID: String) -> Bool { lock.withLock { pairs.contains(Self.key(phone: phone, userID: userID)) } }

    /// Called once the events are stored: a pair whose line was never written is not remembered.
    func remember(_ events: [(phone: String, userID: String)]) {
        lock.withLock {
            if pairs.count + events.count > capacity { pairs.removeAll(keepingCapacity: true) }
            for e in events { pairs.insert(Self.key(phone: e.phone, userID: e.userID)) }
        }
    }
}
