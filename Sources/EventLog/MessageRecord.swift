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
    public var reason: String?
    /// First time each status was seen, ISO 8601 (Meta's timestamp where the event carried one).
    public var times: [MessageStatus: String] = [:]
    public var pricingCategory: String?
    public var pricingType: String?

    public init(job: String, status: MessageStatus) {
        self.job = job
        self.status = status
    }

    /// A read message counts as delivered (the seed system's rates).
    public var wasDelivered: Bool { status == .delivered || status == .read }
    public var wasSent: Bool { [.sent, .delivered, .read].contains(status) || (status == .failed && wamid != nil) }
}
