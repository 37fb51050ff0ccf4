import Foundation

/// Meta's messaging limit as wabulk keeps it: the unique people it has messaged in a moving 24 hours
/// (meta-cloud-api.md §5), so a job whose recipient would go past the limit waits for room instead of
/// failing at Meta. A person counts once per window: messaged again, they stay in it until 24 hours after
/// their latest message.
public struct MessagingBudget: Sendable {
    public static let window: TimeInterval = 86_400

    public enum Admission: Equatable, Sendable {
        case go
        /// The limit is reached: the job waits until `until`, when the earliest person leaves the window.
        case wait(until: Date, used: Int, limit: Int)
    }

    /// nil: no limit known (nothing is held back).
    public var limit: Int?
    /// Each person's latest message in the window.
    private var latest: [String: Date] = [:]
    /// (time, phone) in time order; an entry whose phone was messaged again later is stale and skipped.
    private var order: [(at: Date, phone: String)] = []
    private var head = 0

    public init(limit: Int?) { self.limit = limit }

    public var used: Int { latest.count }

    /// Whether a message to `phone` may go at `now`; when it may, the person is counted from `now`.
    public mutating func admit(_ phone: String, now: Date) -> Admission {
        let admission = self.admission(for: phone, now: now)
        if admission == .go { record(phone, at: now) }
        return admission
    }

    /// Whether a message to `phone` may go at `now`, counting nothing (only what has left the window goes).
    public mutating func admission(for phone: String, now: Date) -> Admission {
        expire(now: now)
        if latest[phone] != nil || limit.map({ latest.count < $0 }) ?? true { return .go }
        return .wait(until: nextFree(now: now), used: latest.count, limit: limit ?? 0)
    }

    /// A message counted by `admit` that never reached Meta: the person is counted as before it.
    public mutating func withdraw(_ phone: String, countedAt: Date, previous: Date?) {
        guard latest[phone] == countedAt else { return }
        // The entry for `previous` is still in `order` (entries only leave it by expiring), so the person is
        // counted as before without re-sorting; one whose previous message has left the window is not counted.
        if let previous, countedAt.timeIntervalSince(previous) < Self.window {
            latest[phone] = previous
        } else {
            latest[phone] = nil
        }
    }

    public func latestMessage(to phone: String) -> Date? { latest[phone] }

    /// A message already sent (read back from the event log at start-up).
    public mutating func record(_ phone: String, at time: Date) {
        if let known = latest[phone], known >= time { return }
        latest[phone] = time
        if let last = order.last, last.at > time {
            order.append((time, phone))
            order.sort { $0.at < $1.at }
            head = 0
        } else {
            order.append((time, phone))
        }
    }

    /// When the next person leaves the window (at least a second from now, so a waiting job is not spun).
    public func nextFree(now: Date) -> Date {
        for entry in order[head...] where latest[entry.phone] == entry.at {
            return max(entry.at.addingTimeInterval(Self.window), now.addingTimeInterval(1))
        }
        return now.addingTimeInterval(1)
    }

    public mutating func expire(now: Date) {
        let cutoff = now.addingTimeInterval(-Self.window)
        while head < order.count, order[head].at <= cutoff {
            let entry = order[head]
            if latest[entry.phone] == entry.at { latest[entry.phone] = nil }
            head += 1
        }
        // Compact now and then so the array does not grow for ever.
        if head > 4096, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
