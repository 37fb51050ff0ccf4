import Foundation
import WabulkBase

/// Everything known about one message after folding its events.
public struct MessageRecord: Sendable, Equatable {
    public var job: String
    public var campaign: String?
    public var phone: String?
    public var name: String?
    public var wamid: String?
    public var status: MessageStatus
    public var attempts: Int = 0
    public var errorCode: Int?
    public var errorTitle: String?
    public var errorDetails: String?
    /// What kind of failure, when the log recorded it (logs from before the field have none).
    public var failure: FailureKind?
    public var reason: String?
    /// First time each of sent, delivered, read and failed was seen, ISO 8601 to the second (Meta's
    /// timestamp where the event carried one).
    public var times: [MessageStatus: String] = [:]
    /// The first and the last event of any kind.
    public var firstSeen: String?
    public var lastSeen: String?
    public var pricingCategory: String?
    public var pricingType: String?

    public init(job: String, status: MessageStatus) {
        self.job = job
        self.status = status
    }

    init(job: String, message m: MessageLedger.Message) {
        self.job = job
        status = m.status
        campaign = m.campaign
        phone = m.phone
        name = m.name
        wamid = m.wamid
        attempts = m.attempts
        errorCode = m.errorCode
        errorTitle = m.errorTitle
        errorDetails = m.errorDetails
        failure = m.failure
        reason = m.reason
        pricingCategory = m.pricingCategory
        pricingType = m.pricingType
        func iso(_ t: Int?) -> String? { t.map { Timestamp.format(Date(timeIntervalSince1970: TimeInterval($0))) } }
        for (status, t) in [(MessageStatus.sent, m.sentAt), (.delivered, m.deliveredAt), (.read, m.readAt), (.failed, m.failedAt)] {
            if let value = iso(t) { times[status] = value }
        }
        firstSeen = iso(m.firstSeen)
        lastSeen = iso(m.lastSeen)
    }

    /// A read message counts as delivered (the seed system's rates).
    public var wasDelivered: Bool { status == .delivered || status == .read }
    public var wasSent: Bool { [.sent, .delivered, .read].contains(status) || (status == .failed && wamid != nil) }
}
