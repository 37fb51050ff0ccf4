import Account
import Campaigns
import EventLog
import Foundation
import Logging
import Spool
import Testing
import WabulkBase
import WebhookListener

/// Meta's word on the account (meta-cloud-api.md §6.6, Meta's documented examples) read by the listener's
/// parser and acted on by the webhook follower: holds with Meta's reasons, lifted only by the news that
/// matches what set them.
@Suite struct AccountHealthTests {
    typealias Fixture = WebhookFlowTests.Fixture

    /// The events the listener would log for one posted change.
    static func events(_ change: String) throws -> [MessageEvent] {
        try WebhookPayload.events(
            from: Array(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1764892800,"changes":[\#(change)]}]}"#.utf8),
            receivedAt: Date()
        )
    }

    static let flagged =
        #"{"field":"phone_number_quality_update","value":{"display_phone_number":"15550783881","event":"FLAGGED","current_limit":"TIER_10K"}}"#
    static let unflagged =
        #"{"field":"phone_number_quality_update","value":{"display_phone_number":"15550783881","event":"UNFLAGGED","current_limit":"TIER_10K"}}"#
    static let violation = #"{"field":"account_update","value":{"event":"ACCOUNT_VIOLATION","violation_info":{"violation_type":"ADULT"}}}"#
    static let reinstated =
        #"{"field":"account_update","value":{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"REINSTATE","waba_ban_date":"April 17, 2025"}}}"#

    @Test func metaShapesBecomeAccountEventsWithTheirDetails() throws {
        let flag = try #require(try Self.events(Self.flagged).first)
        #expect(flag.kind == .accountUpdate)
        #expect(flag.reason == "phone_number_quality_update")
        #expect(flag.errorTitle == "FLAGGED")
        #expect(flag.errorDetails == "limit: TIER_10K")
        #expect(flag.messagingLimit == 10_000)
        let ban = try #require(
            try Self.events(
                #"{"field":"account_update","value":{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"DISABLE","waba_ban_date":"April 17, 2025"}}}"#
            ).first
        )
        #expect(ban.errorDetails == "ban state: DISABLE (April 17, 2025)")
        #expect(
            HealthChange(field: ban.reason!, event: ban.errorTitle, details: ban.errorDetails)
                == .holdAll(
                    reason: "Meta reported DISABLED_UPDATE on the business account (ban state: DISABLE (April 17, 2025)): all sending is held"
                )
        )
        let capability = try #require(
            try Self.events(
                #"{"field":"business_capability_update","value":{"max_daily_conversations_per_business":-1,"max_phone_numbers_per_business":2}}"#
            )
            .first
        )
        #expect(capability.messagingLimit == -1)
        #expect(HealthChange(field: capability.reason!, event: capability.errorTitle, details: capability.errorDetails) == .none)
        // Events that say nothing about sending change nothing.
        let partner = try #require(
            try Self.events(#"{"field":"account_update","value":{"event":"PARTNER_ADDED","waba_info":{"waba_id":"1"}}}"#).first
        )
        #expect(HealthChange(field: partner.reason!, event: partner.errorTitle, details: partner.errorDetails) == .none)
        // A quality RED given as a field the docs do not list still holds marketing.
        let red = try #require(
            try Self.events(
                #"{"field":"phone_number_quality_update","value":{"event":"DOWNGRADE","quality_rating":"RED","current_limit":"TIER_2K"}}"#
            ).first
        )
        if case .holdMarketing = HealthChange(field: red.reason!, event: red.errorTitle, details: red.errorDetails) {
        } else {
            Issue.record("a RED rating did not hold marketing")
        }
    }

    @Test func metaGoodNewsLiftsOnlyTheHoldItsBadNewsSet() async throws {
        let f = try await Fixture()
        func follow(_ change: String) async throws -> SpoolControl {
            try await f.events.append(Self.events(change))
            #expect(try await f.follow() == 1)
            return SpoolControl.load(spool: f.home.spool)
        }
        var control = try await follow(Self.flagged)
        #expect(
            control.marketingHold?.reason
                == "Meta flagged the number's quality (phone_number_quality_update FLAGGED) (limit: TIER_10K): marketing sends are held; utility and authentication go on"
        )
        #expect(control.marketingHold?.cause == .account(event: "FLAGGED"))
        #expect(control.queueHold == nil)
        #expect(AccountState.load(f.home)?.messagingLimit == .people(10_000))
        control = try await follow(Self.unflagged)
        #expect(control.marketingHold == nil)

        control = try await follow(Self.violation)
        #expect(control.queueHold?.reason == "Meta reported ACCOUNT_VIOLATION on the business account (violation: ADULT): all sending is held")
        control = try await follow(Self.reinstated)
        #expect(control.queueHold == nil)

        // A pause the operator set is theirs: Meta reinstating the account does not lift it.
        try SpoolControl.update(spool: f.home.spool) {
            $0.queueHold = .init(reason: "paused by operator", cause: .paused(by: "operator"), since: Date())
        }
        control = try await follow(Self.reinstated)
        #expect(control.queueHold?.cause == .paused(by: "operator"))
    }

    @Test func withLiftingOffOnlyResumeLiftsAHold() async throws {
        let f = try await Fixture()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let follower = WebhookFollower(home: f.home, registry: f.registry, events: f.events, liftHealthHolds: false, logger: logger)
        try await f.events.append(Self.events(Self.flagged) + Self.events(Self.unflagged))
        #expect(await follower.catchUp() == 2)
        #expect(SpoolControl.load(spool: f.home.spool).marketingHold?.cause == .account(event: "FLAGGED"))
    }
}
