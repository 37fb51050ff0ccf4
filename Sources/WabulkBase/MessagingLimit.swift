/// Meta's messaging limit for the business portfolio: how many unique people business-initiated messages
/// may reach in a moving 24 hours (250, 2,000, 10,000, 100,000, or unlimited).
public enum MessagingLimit: Sendable, Equatable, Codable {
    case people(Int)
    case unlimited

    /// The number the budget holds to; nil when there is none to hold to.
    public var people: Int? {
        if case .people(let n) = self { n } else { nil }
    }
}
