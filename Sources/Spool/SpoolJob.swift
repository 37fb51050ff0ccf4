import Foundation
import WabulkBase

/// One message still to send: the contact snapshot and the template parameters frozen when the
/// campaign was planned, so later edits to the registry or manifest never change a queued message.
public struct SpoolJob: Sendable, Equatable, Identifiable {
    public struct Template: Sendable, Equatable {
        public var name: String
        public var language: String
        public var parameters: TemplateParameters
        /// MARKETING, UTILITY or AUTHENTICATION as the template list said when the campaign was planned; nil
        /// when unknown (treated as marketing by a marketing-only opt-out).
        public var category: String?

        public init(name: String, language: String, parameters: TemplateParameters = .init(), category: String? = nil) {
            self.name = name
            self.language = language
            self.parameters = parameters
            self.category = category
        }

        /// Positional text values only.
        public init(name: String, language: String, header: [String] = [], body: [String] = [], buttons: [String] = [], category: String? = nil) {
            self.init(
                name: name,
                language: language,
                parameters: TemplateParameters(header: header, body: body, buttons: buttons),
                category: category
            )
        }

        /// The body's values in order (what a receipt or a test shows).
        public var body: [String] { parameters.body.map(\.value) }
    }

    /// `<campaign>.<sequence>`: unique, file-name safe, sorts in planning order.
    public var id: String
    public var campaign: String
    /// E.164 with the leading `+`.
    public var phone: String
    public var name: String
    public var template: Template
    /// Attempts made so far.
    public var attempt: Int
    /// Not to be sent before this time (start time, send window or retry backoff).
    public var notBefore: Date?
    /// Per-campaign rate cap, if the manifest set one.
    public var campaignRate: String?
    /// The campaign's daily sending window, if any.
    public var window: SendWindowSchedule?

    public init(
        campaign: String,
        sequence: Int,
        phone: String,
        name: String,
        template: Template,
        attempt: Int = 0,
        notBefore: Date? = nil,
        campaignRate: String? = nil,
        window: SendWindowSchedule? = nil
    ) {
        self.id = SpoolJob.id(campaign: campaign, sequence: sequence)
        self.campaign = campaign
        self.phone = phone
        self.name = name
        self.template = template
        self.attempt = attempt
        self.notBefore = notBefore
        self.campaignRate = campaignRate
        self.window = window
    }

    public static func id(campaign: String, sequence: Int) -> String {
        let digits = String(sequence)
        return "\(campaign).\(String(repeating: "0", count: max(0, 7 - digits.count)))\(digits)"
    }
}

extension SpoolJob {
    /// Whether the message is marketing, for holds and opt-outs that stop marketing only: an unknown category
    /// counts as marketing (never guess in the direction of sending).
    public var isMarketing: Bool { Suppression.Scope.marketing.blocks(category: template.category) }
}
