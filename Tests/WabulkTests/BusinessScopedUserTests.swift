import Account
import Campaigns
import Contacts
import EventLog
import Foundation
import Logging
import Spool
import Testing
import WabulkBase
import WebhookListener

/// Meta's business-scoped user ids (BSUIDs): kept with statuses and inbound messages, a webhook without a
/// phone number never dropped, and an opt-out from a user known by the id alone applied to the right
/// contact once a webhook links the id to a number.
@Suite struct BusinessScopedUserTests {
    static let received = Date(timeIntervalSince1970: 1_790_000_000)

    static func body(_ change: String) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[\#(change)]}]}"#.utf8)
    }

    static let metadata = #""messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"}"#

    @Test func statusesKeepTheUserIDAndLinkItToTheNumberOnce() throws {
        let change =
            #"{"field":"messages","value":{\#(Self.metadata),"statuses":[{"id":"wamid.A","status":"delivered","timestamp":"1790000001","recipient_id":"919876500001","recipient_user_id":"IN.13491208655302741918","recipient_parent_user_id":"IN.parent.1","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}},{"id":"wamid.A","status":"read","timestamp":"1790000002","recipient_id":"919876500001","recipient_user_id":"IN.13491208655302741918"},{"id":"wamid.B","status":"sent","timestamp":"1790000003","recipient_user_id":"IN.77"}]}}"#
        let events = try WebhookPayload.events(from: Self.body(change), receivedAt: Self.received)
        #expect(events.map(\.kind) == [.status, .userLink, .status, .status])
        #expect(events[0].phone == "+919876500001")
        #expect(events[0].userID == "IN.13491208655302741918")
        #expect(events[0].parentUserID == "IN.parent.1")
        #expect(events[1].phone == "+919876500001")
        #expect(events[1].userID == "IN.13491208655302741918")
        // A status with the user id alone is kept (joined to its message by wamid), never dropped.
        #expect(events[3].phone == nil)
        #expect(events[3].userID == "IN.77")
        #expect(events[3].wamid == "wamid.B")
        // A pair the listener already logged is not logged again.
        let again = try WebhookPayload.events(from: Self.body(change), receivedAt: Self.received) { _, _ in true }
        #expect(again.map(\.kind) == [.status, .status, .status])
    }

    @Test func anInboundStopWithoutANumberIsAnOptOutByUserID() throws {
        let stop =
            #"{"field":"messages","value":{\#(Self.metadata),"contacts":[{"profile":{"name":"A","username":"@asha"},"user_id":"IN.555"}],"messages":[{"from_user_id":"IN.555","id":"wamid.in1","timestamp":"1790000005","type":"text","text":{"body":"STOP"}}]}}"#
        let events = try WebhookPayload.events(from: Self.body(stop), receivedAt: Self.received)
        #expect(events.map(\.kind) == [.inbound, .optOut])
        #expect(events.allSatisfy { $0.phone == nil && $0.userID == "IN.555" })
        #expect(events[1].reason == "replied \"STOP\"")
        let preferences =
            #"{"field":"user_preferences","value":{\#(Self.metadata),"user_preferences":[{"user_id":"IN.556","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1790000006}]}}"#
        let stopped = try WebhookPayload.events(from: Self.body(preferences), receivedAt: Self.received)
        #expect(stopped.map(\.kind) == [.optOut])
        #expect(stopped[0].phone == nil)
        #expect(stopped[0].userID == "IN.556")
    }

    /// The follower keeps an opt-out by user id until a webhook names the number, then opts the contact
    /// out (its waiting message dropped) with the choice's own time.
    @Test func anOptOutByUserIDReachesTheContactOnceLinked() async throws {
        let dir = TempDir()
        let home = dir.home
        try home.create()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        _ = try registry.merge([Contact(phone: "+919876500001", name: "Asha"), Contact(phone: "+919876500002", name: "Ravi")], now: Date())
        let events = EventLogWriter(directory: home.log)
        let planner = CampaignPlanner(
            registry: registry,
            normalizer: try PhoneNormalizer(defaultCountry: "91"),
            spool: Spool(directory: home.spool),
            events: events,
            campaignsDirectory: home.campaigns
        )
        _ = try await planner.plan(
            try ManifestReader.read(
                Data(#"{"id": "c", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#.utf8),
                fileName: "c.json"
            ),
            sourceFile: "c.json"
        )
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let follower = WebhookFollower(home: home, registry: registry, events: events, logger: logger)
        _ = await follower.catchUp()

        let stop = try WebhookPayload.events(
            from: Self.body(
                #"{"field":"messages","value":{\#(Self.metadata),"messages":[{"from_user_id":"IN.555","id":"wamid.in1","timestamp":"1790000005","type":"text","text":{"body":"STOP"}}]}}"#
            ),
            receivedAt: Self.received
        )
        try await events.append(stop, durable: true)
        _ = await follower.catchUp()
        #expect(try registry.pendingPreferences().map(\.userID) == ["IN.555"])
        #expect(try registry.contact(phone: "+919876500001")?.optedOut == false)
        #expect(Spool.depth(in: home.spool).ready == 2)

        // A status for the earlier message names both: the link is learned and the waiting opt-out applied.
        let status = try WebhookPayload.events(
            from: Self.body(
                #"{"field":"messages","value":{\#(Self.metadata),"statuses":[{"id":"wamid.X","status":"delivered","timestamp":"1790000009","recipient_id":"919876500001","recipient_user_id":"IN.555"}]}}"#
            ),
            receivedAt: Self.received
        )
        try await events.append(status, durable: true)
        _ = await follower.catchUp()
        #expect(try registry.pendingPreferences().isEmpty)
        #expect(try registry.phone(userID: "IN.555") == "+919876500001")
        let asha = try #require(try registry.contact(phone: "+919876500001"))
        #expect(asha.optedOut)
        #expect(asha.optOutSource == "webhook: replied \"STOP\"")
        #expect(try registry.contact(phone: "+919876500002")?.optedOut == false)
        #expect(Spool.depth(in: home.spool).ready == 1)
        #expect(try Spool.suppressions(in: home.spool)["+919876500001"]?.scope == .all)

        // Once linked, a later opt-in by the user id alone reaches the contact at once.
        let resume = try WebhookPayload.events(
            from: Self.body(
                #"{"field":"user_preferences","value":{\#(Self.metadata),"user_preferences":[{"user_id":"IN.555","category":"marketing_messages","value":"resume","timestamp":1790000020}]}}"#
            ),
            receivedAt: Self.received
        )
        try await events.append(resume, durable: true)
        _ = await follower.catchUp()
        #expect(try registry.contact(phone: "+919876500001")?.optedOut == false)
    }

    /// `business_capability_update` (and a quality update carrying the limit) sets the messaging limit the
    /// dispatcher follows.
    @Test func metaSettingTheLimitReachesTheAccountState() async throws {
        let dir = TempDir()
        let home = dir.home
        try home.create()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        let events = EventLogWriter(directory: home.log)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let follower = WebhookFollower(home: home, registry: registry, events: events, logger: logger)
        let capability = try WebhookPayload.events(
            from: Self.body(
                #"{"field":"business_capability_update","value":{"max_daily_conversation_per_phone":2000,"max_daily_conversations_per_business":2000,"max_phone_numbers_per_business":2}}"#
            ),
            receivedAt: Self.received
        )
        #expect(capability.map(\.kind) == [.accountUpdate])
        #expect(capability[0].messagingLimit == 2000)
        try await events.append(capability, durable: true)
        _ = await follower.catchUp()
        #expect(AccountState.load(home)?.messagingLimit == .people(2000))
        #expect(AccountState.load(home)?.limitSource == .webhook)
        // Meta writes it as a string in the quality update; -1 is unlimited.
        let quality = try WebhookPayload.events(
            from: Self.body(
                #"{"field":"phone_number_quality_update","value":{"display_phone_number":"15550001111","event":"UPGRADE","current_limit":"TIER_UNLIMITED","max_daily_conversations_per_business":"-1"}}"#
            ),
            receivedAt: Self.received
        )
        #expect(quality[0].errorTitle == "UPGRADE")
        #expect(quality[0].errorDetails == "limit: TIER_UNLIMITED")
        #expect(quality[0].messagingLimit == -1)
        try await events.append(quality, durable: true)
        _ = await follower.catchUp()
        #expect(AccountState.load(home)?.messagingLimit == .unlimited)
    }
}
