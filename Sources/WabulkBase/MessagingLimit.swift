/// Meta's messaging limit for the business portfolio: how many unique people business-initiated messages
/// may reach in a moving 24 hours (250, 2,000, 10,000, 100,000, or unlimited).
public enum MessagingLimit: Sendable, Equatable {
    case people(Int)
    case unlimited

    /// The number the budget holds to; nil when there is none to hold to.
    public var people: Int? {
        if case .people(let n) = self { n } else { nil }
    }
}

/// Written as people see it in var/account.json: a number, or "unlimited".
extension MessagingLimit: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            self = .people(n)
        } else if try c.decode(String.self) == "unlimited" {
            self = .unlimited
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a number of people or \"unlimited\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .people(let n): try c.encode(n)
        case .unlimited: try c.encode("unlimited")
        }
    }
}
