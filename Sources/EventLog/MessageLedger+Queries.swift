import Foundation
import WabulkBase

/// Reading the fold: messages one at a time (texts read back from the log when asked), as records, by job.
extension MessageLedger {
    /// One message as numbers and shared strings; `name` and `wamid` only when asked for (they are read
    /// back from the log).
    public struct Message: Sendable {
        public var status: MessageStatus
        public var campaign: String?
        public var phone: String?
        public var name: String?
        public var wamid: String?
        public var hasWamid: Bool
        public var attempts: Int
        public var errorCode: Int?
        public var errorTitle: String?
        public var errorDetails: String?
        public var failure: FailureKind?
        /// Skipped because its number opted out or was removed.
        public var skippedBySuppression: Bool
        public var reason: String?
        public var pricingCategory: String?
        public var pricingType: String?
        /// Unix seconds of the first and last event and of each status column.
        public var firstSeen: Int?
        public var lastSeen: Int?
        public var sentAt: Int?
        public var deliveredAt: Int?
        public var readAt: Int?
        public var failedAt: Int?
    }

    func message(_ index: Int, texts: TextReader?) -> Message {
        let s = self[slot: index]
        let o = outcomes[s.outcome]
        let error = o.error == 0 ? nil : errors.pair(o.error)
        let pricing = o.pricing == 0 ? nil : pricings.pair(o.pricing)
        let identity = s.identityRef == .none ? nil : texts?.identity(at: s.identityRef)
        return Message(
            status: Self.status(s.status),
            campaign: s.campaign == 0 ? nil : campaignNames.value(UInt32(s.campaign)),
            phone: identity?.phone,
            name: identity?.name,
            wamid: s.wamidRef == .none ? nil : texts?.text(\.wamid, at: s.wamidRef),
            hasWamid: s.wamidRef != .none,
            attempts: Int(s.attempts),
            errorCode: o.errorCode == Int32.min ? nil : Int(o.errorCode),
            errorTitle: error?.0,
            errorDetails: error?.1,
            failure: o.failure == 0 ? nil : FailureKind.allCases[Int(o.failure) - 1],
            skippedBySuppression: o.suppressed
                || (Self.status(s.status) == .skipped && o.reason != 0
                    && SuppressionSkip.isLegacySuppression(reasons.value(o.reason))),
            reason: o.reason == 0 ? nil : reasons.value(o.reason),
            pricingCategory: pricing?.0,
            pricingType: pricing?.1,
            firstSeen: Self.unix(s.first),
            lastSeen: Self.unix(s.last),
            sentAt: Self.unix(s.sent),
            deliveredAt: Self.unix(s.delivered),
            readAt: Self.unix(s.read),
            failedAt: Self.unix(s.failed)
        )
    }

    /// Every message in job order (campaign by campaign, then by sequence number; skipped ones after; jobs
    /// of other shapes last, by id), optionally of one campaign. `texts` reads names and message ids back.
    public func forEach(campaign: String? = nil, texts: Bool = true, _ body: (Message) throws -> Void) rethrows {
        try visit(campaign: campaign, texts: texts, jobs: false) { _, m in try body(m) }
    }

    /// The same, with each message's job id (spelled out only here: a report of a million rows needs none).
    public func forEachWithJob(campaign: String? = nil, _ body: (String, Message) throws -> Void) rethrows {
        try visit(campaign: campaign, texts: true, jobs: true, body)
    }

    func visit(campaign: String?, texts: Bool, jobs: Bool, _ body: (String, Message) throws -> Void) rethrows {
        let reader = texts ? TextReader(self) : nil
        let wanted: UInt16? = campaign.map { UInt16(clamping: campaignNames.index(of: $0) ?? UInt32(UInt16.max)) }
        func visit(_ index: Int, _ job: () -> String) throws {
            if let wanted, self[slot: index].campaign != wanted { return }
            try body(jobs ? job() : "", message(index, texts: reader))
        }
        for g in groups.indices.sorted(by: { groups[$0].name < groups[$1].name }) {
            let group = groups[g]
            for (n, slot) in group.numbered.enumerated() where slot != 0 {
                try visit(Int(slot - 1)) { group.name + "." + JobKey.sequence(n) }
            }
            for (n, slot) in group.skips.enumerated() where slot != 0 {
                try visit(Int(slot - 1)) { group.name + ".skip-" + String(n) }
            }
        }
        for (job, slot) in otherJobs.sorted(by: { $0.key < $1.key }) {
            try visit(Int(slot)) { job }
        }
    }

    public func records(campaign: String? = nil) -> [MessageRecord] {
        var out: [MessageRecord] = []
        forEachWithJob(campaign: campaign) { job, m in out.append(MessageRecord(job: job, message: m)) }
        return out
    }

    /// Messages by job id.
    public var messages: Messages { Messages(ledger: self) }

    public struct Messages {
        let ledger: MessageLedger
        public subscript(job: String) -> MessageRecord? {
            ledger.slotIndex(job: job).map { MessageRecord(job: job, message: ledger.message($0, texts: TextReader(ledger))) }
        }
        public var isEmpty: Bool { ledger.count == 0 }
        public var count: Int { ledger.count }
    }

    public var campaigns: [String] { campaignNames.values.sorted() }
}
