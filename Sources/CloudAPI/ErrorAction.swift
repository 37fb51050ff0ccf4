/// What a bulk sender does about a failure (meta-cloud-api.md, section 4).
public enum ErrorAction: String, Sendable, Codable, Equatable {
    /// Transient: try the same message again later with backoff.
    case retry
    /// Throttled: retry later and slow the whole number down.
    case slowDown
    /// Too many messages to this one recipient: back off for that recipient only (4^n seconds).
    case slowDownRecipient
    /// Not before 24 hours (per-user marketing cap).
    case retryAfterADay
    /// Account, token or permission problem: pause all sending; nothing is marked failed.
    case stopQueue
    /// Template problem: every message of this campaign would fail the same way.
    case stopCampaign
    /// Permanent for this message.
    case fail
}
