/// Where one message stands (product.md, "The life of a message").
public enum MessageStatus: String, Codable, Sendable, CaseIterable, Comparable {
    case queued, deferred, sending, sent, delivered, read, failed, skipped, cancelled

    /// Progress order for the monotonic fold: a status never moves to a lower rank.
    /// `failed` outranks `sent` (Meta reports asynchronous failures after accepting a send) but not
    /// `delivered`, since a delivered message did reach the phone.
    public var rank: Int {
        switch self {
        case .queued: 0
        case .deferred: 1
        case .sending: 2
        case .sent: 3
        case .failed: 4
        case .delivered: 5
        case .read: 6
        case .skipped, .cancelled: 7
        }
    }

    /// Nothing more will happen to the message on our side.
    public var isFinal: Bool {
        switch self {
        case .sent, .delivered, .read, .failed, .skipped, .cancelled: true
        case .queued, .deferred, .sending: false
        }
    }

    public static func < (lhs: MessageStatus, rhs: MessageStatus) -> Bool { lhs.rank < rhs.rank }
}
