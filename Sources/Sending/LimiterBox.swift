import Foundation
import WabulkBase

/// The limiters are shared by all workers; their arithmetic is tiny, so a lock beats an actor hop.
/// One limiter for the number, one per campaign that set its own rate, and the last send time per
/// recipient for Meta's pair limit.
final class LimiterBox: @unchecked Sendable {
    enum Slot {
        case at(Duration)
        case later(Duration)
    }

    private var limiter: RateLimiter
    private var campaigns: [String: RateLimiter] = [:]
    private var lastToRecipient: [String: Duration] = [:]
    private let lock = NSLock()
    init(_ limiter: RateLimiter) { self.limiter = limiter }

    /// How long until the number's own limiter allows a send.
    func waitForNumber(now: Duration) -> Duration { lock.withLock { max(.zero, limiter.nextAllowed(now: now) - now) } }

    func reserve(now: Duration, campaign: String, campaignRate: SendRate?, recipient: String, pairSpacing: Duration, maxWait: Duration) -> Slot {
        lock.withLock {
            var earliest = limiter.nextAllowed(now: now)
            if let campaignRate {
                if campaigns[campaign]?.rate != campaignRate { campaigns[campaign] = RateLimiter(rate: campaignRate) }
                earliest = max(earliest, campaigns[campaign]!.nextAllowed(now: now))
            }
            if let last = lastToRecipient[recipient] { earliest = max(earliest, last + pairSpacing) }
            if earliest - now > maxWait, earliest - now > limiter.spacing { return .later(earliest) }
            limiter.record(earliest)
            if campaignRate != nil { campaigns[campaign]!.record(earliest) }
            lastToRecipient[recipient] = earliest
            if lastToRecipient.count > 100_000 { lastToRecipient = lastToRecipient.filter { now - $0.value < pairSpacing } }
            return .at(earliest)
        }
    }

    func slowDown() { lock.withLock { limiter.slowDown() } }
    func recover() { lock.withLock { limiter.recover() } }
}
