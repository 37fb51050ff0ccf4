/// Meta's messaging limit for the business portfolio: how many unique people business-initiated messages
/// may reach in a moving 24 hours (250, 2,000, 10,000, 100,000, or unlimited).
public enum MessagingLimit: Sendable, Equatable {
    case people(Int)
    case unlimited

    /// The number the budget holds to; nil when there is none to hold to.
    public var people: Int? {
        if case .people(let n) = self { n } else { nil }
    }

    /// As Meta writes it: `TIER_250` → 250 people, `TIER_2K` → 2,000, `TIER_UNLIMITED` → unlimited, a count
    /// (-1: unlimited); nil for `TIER_NOT_SET` or anything else.
    public init?(tier: String) {
        let t = tier.uppercased()
        if t == "TIER_UNLIMITED" || t == "UNLIMITED" {
            self = .unlimited
            return
        }
        guard t.hasPrefix("TIER_") else {
            guard let n = Int(t) else { return nil }
            self.init(eventValue: n)
            return
        }
        var digits = t.dropFirst(5)
        var scale = 1
        if digits.hasSuffix("K") {
            scale = 1000
            digits = digits.dropLast()
        }
        guard let n = Int(digits) else { return nil }
        self = .people(n * scale)
    }

    /// From the count an event line carries (-1: unlimited).
    public init(eventValue: Int) { self = eventValue < 0 ? .unlimited : .people(eventValue) }

    /// As people read it: a number, or "unlimited".
    public var description: String { people.map(String.init) ?? "unlimited" }

    /// The count an event line carries (-1: unlimited).
    public var eventValue: Int {
        switch self {
        case .people(let n): n
        case .unlimited: -1
        }
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
