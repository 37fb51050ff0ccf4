import EventLog
import Foundation
import WabulkBase

/// What a report covers and how it shows it: one campaign or all, a period, the timezone for dates, the
/// campaigns' own facts (template, times) and the rate card for the Cost sheet.
public struct ReportScope: Sendable {
    public struct CampaignInfo: Sendable, Equatable {
        public var id: String
        public var name: String
        public var template: String
        public var language: String
        public var createdAt: Date?
        /// An A/B test's variants in order: template (language) and share in percent.
        public var variants: [Variant]

        public struct Variant: Sendable, Equatable {
            public var template: String
            public var language: String
            public var share: Int

            public init(template: String, language: String, share: Int) {
                self.template = template
                self.language = language
                self.share = share
            }
        }

        public init(id: String, name: String, template: String, language: String, createdAt: Date?, variants: [Variant] = []) {
            self.id = id
            self.name = name
            self.template = template
            self.language = language
            self.createdAt = createdAt
            self.variants = variants
        }
    }

    public var campaign: String?
    /// Messages whose first recorded step falls in [from, to); nil: unbounded.
    public var from: Date?
    public var to: Date?
    public var timeZone: TimeZone
    public var campaigns: [String: CampaignInfo]
    public var rateCard: RateCard

    public init(
        campaign: String? = nil,
        from: Date? = nil,
        to: Date? = nil,
        timeZone: TimeZone = .gmt,
        campaigns: [String: CampaignInfo] = [:],
        rateCard: RateCard = RateCard()
    ) {
        self.campaign = campaign
        self.from = from
        self.to = to
        self.timeZone = timeZone
        self.campaigns = campaigns
        self.rateCard = rateCard
    }

    /// Whether a message's first recorded step falls in the period.
    func includes(_ m: MessageLedger.Message) -> Bool {
        guard from != nil || to != nil else { return true }
        guard let first = m.firstSeen.map({ Date(timeIntervalSince1970: TimeInterval($0)) }) else { return false }
        return (from.map { first >= $0 } ?? true) && (to.map { first < $0 } ?? true)
    }

    public var periodText: String {
        let f = DateFormatter()
        f.timeZone = timeZone
        f.dateFormat = "yyyy-MM-dd HH:mm"
        switch (from, to) {
        case (nil, nil): return "all time"
        case (let a?, nil): return "from \(f.string(from: a))"
        case (nil, let b?): return "until \(f.string(from: b))"
        case (let a?, let b?): return "\(f.string(from: a)) to \(f.string(from: b))"
        }
    }
}
