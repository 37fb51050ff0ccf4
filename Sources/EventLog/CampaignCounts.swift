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
    /// Not delivered because Meta held them back for a marketing experiment (130472): not the business's
    /// failure and not charged, so counted apart from `failed` and out of the failure rate.
    public var heldBack = 0
    public var skipped = 0
    public var cancelled = 0

    public static let experimentCode = 130_472

    public init() {}

    public init(_ records: [MessageRecord]) {
        for r in records { add(r.status, wasAccepted: r.wamid != nil, code: r.errorCode) }
    }

    public mutating func add(_ m: MessageLedger.Message) {
        add(m.status, wasAccepted: m.hasWamid, code: m.status == .failed ? m.errorCode : nil)
    }

    /// `wasAccepted`: Meta gave it a message id (a failure after that still counts as sent). `code`: Meta's
    /// error code of a failure.
    public mutating func add(_ status: MessageStatus, wasAccepted: Bool, code: Int? = nil) {
        switch status {
        case .skipped:
            skipped += 1
            return
        case .cancelled:
            cancelled += 1
            return
        default: total += 1
        }
        switch status {
        case .queued: queued += 1
        case .sending: sending += 1
        case .deferred: deferred += 1
        case .sent: sent += 1
        case .delivered:
            sent += 1
            delivered += 1
        case .read:
            sent += 1
            delivered += 1
            read += 1
        case .failed:
            if code == Self.experimentCode { heldBack += 1 } else { failed += 1 }
            if wasAccepted { sent += 1 }
        case .skipped, .cancelled: break
        }
    }

    public var deliveryRate: Double { total == 0 ? 0 : Double(delivered) / Double(total) }
    public var readRate: Double { delivered == 0 ? 0 : Double(read) / Double(delivered) }
    public var failureRate: Double { total == 0 ? 0 : Double(failed) / Double(total) }
    /// Waiting or under way: the campaign is not done while this is above zero.
    public var pending: Int { queued + sending + deferred }
}

extension CampaignCounts {
    private enum CodingKeys: String, CodingKey {
        case total, queued, sending, deferred, sent, delivered, read, failed, heldBack, skipped, cancelled
    }

    /// Counts written before `heldBack` existed read as none held back.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        total = try c.decode(Int.self, forKey: .total)
        queued = try c.decode(Int.self, forKey: .queued)
        sending = try c.decode(Int.self, forKey: .sending)
        deferred = try c.decode(Int.self, forKey: .deferred)
        sent = try c.decode(Int.self, forKey: .sent)
        delivered = try c.decode(Int.self, forKey: .delivered)
        read = try c.decode(Int.self, forKey: .read)
        failed = try c.decode(Int.self, forKey: .failed)
        heldBack = try c.decodeIfPresent(Int.self, forKey: .heldBack) ?? 0
        skipped = try c.decode(Int.self, forKey: .skipped)
        cancelled = try c.decode(Int.self, forKey: .cancelled)
    }
}
