/// When to try a message again: exponential backoff (the seed system's 5 s doubling, 3 attempts),
/// with optional jitter so retries of a burst do not arrive in lockstep.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    /// Fraction of the delay added at random (0 = exact delays, as tests want).
    public var jitter: Double

    public init(maxAttempts: Int = 3, baseDelay: Duration = .seconds(5), jitter: Double = 0.1) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.jitter = jitter
    }

    /// The wait after failed attempt number `attempt` (1-based), or nil when no attempt is left.
    public func delay(after attempt: Int, randomFraction: Double = Double.random(in: 0..<1)) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        let exact = baseDelay * (1 << (attempt - 1))
        return exact + exact * (jitter * randomFraction)
    }
}
