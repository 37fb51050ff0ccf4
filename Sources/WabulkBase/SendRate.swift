/// A sending rate such as "30/min", "50/s" or "1000/h": at most `count` messages in any `window`.
public struct SendRate: Sendable, Equatable, CustomStringConvertible, Codable {
    public let count: Int
    public let window: Duration

    public init(count: Int, window: Duration) {
        self.count = count
        self.window = window
    }

    /// Parses "N/s", "N/sec", "N/min", "N/m", "N/h", "N/hour".
    public init?(parsing text: String) {
        let parts = text.lowercased().replacingOccurrences(of: " ", with: "").split(separator: "/")
        guard parts.count == 2, let n = Int(parts[0]), n > 0 else { return nil }
        switch parts[1] {
        case "s", "sec", "second": window = .seconds(1)
        case "m", "min", "minute": window = .seconds(60)
        case "h", "hour": window = .seconds(3600)
        default: return nil
        }
        count = n
    }

    public var perSecond: Double { Double(count) / (Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18) }

    public var description: String {
        switch window {
        case .seconds(1): "\(count)/s"
        case .seconds(60): "\(count)/min"
        case .seconds(3600): "\(count)/h"
        default: "\(count) per \(window)"
        }
    }

    public func min(_ other: SendRate) -> SendRate { other.perSecond < perSecond ? other : self }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let rate = SendRate(parsing: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "\"\(text)\" is not a rate like 30/min"
                )
            )
        }
        self = rate
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
