/// The numbers of one campaign (or of everything), with the seed system's three rates.
public struct CampaignCounts: Sendable, Equatable, Codable {
    /// Messages meant to be sent: everything except skipped and cancelled.
    public var total = 0
    public var queued = 0
    public var sending = 0
    public var deferred = 0
    /// Accepted by Meta or further (sent + delivered + read).
    public var sent = 0
    /// Reached the phone (a read message counts as delivered).
    public var delivered = 0
    public var read = 0
    public var failed = 0
    public var skipped = 0
    public var cancelled = 0

    public init() {}

    public init(_ records: [MessageRecord]) {
        for r in records {
            switch r.status {
            case .skipped: skipped += 1; continue
            case .cancelled: cancelled += 1; continue
            default: total += 1
            }
            switch r.status {
            case .queued: queued += 1
            case .sending: sending += 1
            case .deferred: deferred += 1
            case .sent: sent += 1
            case .delivered: sent += 1; delivered += 1
            case .read: sent += 1; delivered += 1; read += 1
            case .failed: failed += 1; if r.wamid != nil { sent += 1 }
            case .skipped, .cancelled: break
            }
        }
    }

    public var deliveryRate: Double { total == 0 ? 0 : Double(delivered) / Double(total) }
    public var readRate: Double { delivered == 0 ? 0 : Double(read) / Double(delivered) }
    public var failureRate: Double { total == 0 ? 0 : Double(failed) / Double(total) }
    /// Waiting or under way: the campaign is not done while this is above zero.
    public var pending: Int { queued + sending + deferred }
}
