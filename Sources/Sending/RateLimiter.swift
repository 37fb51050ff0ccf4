import WabulkBase

/// Hands out send times so that no window of `rate.window` ever holds more than `rate.count` sends,
/// spread evenly rather than in bursts. Times are offsets from any fixed origin, so the limiter is
/// pure arithmetic: the dispatcher feeds it its clock, tests feed it numbers.
public struct RateLimiter: Sendable {
    public private(set) var rate: SendRate
    /// Multiplies the spacing after Meta says "slow down" (130429, 4, 80007); halves back on success.
    public private(set) var slowdown: Int = 1
    private var recent: [Duration] = []  // the last `rate.count` grants, oldest first
    private var lastGrant: Duration?

    public init(rate: SendRate) { self.rate = rate }

    public mutating func setRate(_ rate: SendRate) {
        self.rate = rate
        if recent.count > rate.count { recent.removeFirst(recent.count - rate.count) }
    }

    /// The earliest time at or after `now` that the next send may start; the slot is taken.
    public mutating func reserve(now: Duration) -> Duration {
        let slot = nextAllowed(now: now)
        record(slot)
        return slot
    }

    /// The earliest time at or after `now` that the next send may start, without taking it.
    public func nextAllowed(now: Duration) -> Duration {
        var slot = now
        if let lastGrant { slot = max(slot, lastGrant + spacing) }
        if recent.count >= rate.count {
            // The send `count` places back must have left the window entirely (a closed window included).
            slot = max(slot, recent[recent.count - rate.count] + rate.window + .milliseconds(1))
        }
        return slot
    }

    /// Takes a slot found with `nextAllowed` (possibly later, when another limiter asked for more).
    public mutating func record(_ slot: Duration) {
        recent.append(slot)
        if recent.count > rate.count { recent.removeFirst(recent.count - rate.count) }
        lastGrant = max(lastGrant ?? slot, slot)
    }

    public var spacing: Duration { rate.window / rate.count * slowdown }

    private var successesSinceSlowdown = 0

    public mutating func slowDown() {
        slowdown = min(slowdown * 2, 16)
        successesSinceSlowdown = 0
    }

    /// One success; after a whole window's worth at the slower pace, the spacing halves back.
    public mutating func recover() {
        guard slowdown > 1 else { return }
        successesSinceSlowdown += 1
        if successesSinceSlowdown >= rate.count {
            slowdown /= 2
            successesSinceSlowdown = 0
        }
    }
}
