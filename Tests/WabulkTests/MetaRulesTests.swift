import CloudAPI
import Contacts
import EventLog
import Foundation
import Logging
import Reports
import Sandbox
import Spool
import Templates
import Testing
import WabulkBase
import WebhookListener

@testable import Campaigns
@testable import Sending

/// Meta's 2025–2026 rules as they reach wabulk: per-message pricing types on the Cost sheet, marketing
/// templates and US numbers, the per-user marketing cap.
@Suite struct MetaRulesTests {
    /// Charged messages (type `regular`, or no type in older payloads) are costed; free ones are listed
    /// apart with why, and not in the total.
    @Test func theCostSheetChargesOnlyRegularMessages() async throws {
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        var events: [MessageEvent] = []
        let messages: [(String, String, String?)] = [
            ("+919876500001", "marketing", "regular"), ("+919876500002", "marketing", "regular"),
            ("+919876500003", "marketing", nil),  // a payload from before per-message pricing
            ("+919876500004", "utility", "free_customer_service"), ("+919876500005", "marketing", "free_entry_point"),
        ]
        for (i, (phone, category, type)) in messages.enumerated() {
            let job = "c.\(i + 1)"
            events.append(MessageEvent(time: t0, status: .queued, campaign: "c", job: job, phone: phone, name: "P\(i)", source: "planner"))
            events.append(
                MessageEvent(time: t0, status: .sent, campaign: "c", job: job, phone: phone, wamid: "w\(i)", attempt: 1, source: "dispatch")
            )
            // The delivered status as Meta posts it, read by the listener's own parser.
            let typeField = type.map { #""type":"\#($0)","# } ?? ""
            let pricing = #""pricing":{"billable":\#(type == "regular" || type == nil),"pricing_model":"PMP",\#(typeField)"category":"\#(category)"}"#
            let status =
                #"{"id":"w\#(i)","status":"delivered","timestamp":"\#(Int(t0.timeIntervalSince1970) + 5)","recipient_id":"\#(phone.dropFirst())",\#(pricing)}"#
            let body = Array(
                #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","statuses":[\#(status)]}}]}]}"#
                    .utf8
            )
            events += try WebhookPayload.events(from: body, receivedAt: t0.addingTimeInterval(5))
        }
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("r.xlsx")
        let scope = ReportScope(
            timeZone: TimeZone(identifier: "UTC")!,
            campaigns: [:],
            rateCard: RateCard(parsing: "marketing:91=0.0107,utility=0.004")!
        )
        try CampaignReport(ledger: MessageLedger(events: events), scope: scope).write(to: out, generatedAt: t0)
        let cost = try #require(try await readXLSX(out.path)["Cost"])
        #expect(
            cost.map { Array($0.prefix(5)) } == [
                ["Pricing category", "Country code", "Billable messages", "Rate", "Estimated cost"],
                ["marketing", "91", "3", "0.0107", String(3 * 0.0107)],
                ["Total", "", "3", "", String(3 * 0.0107)],
                ["", "", "", "", ""],
                ["Not charged", "Pricing type", "Messages", "Why", ""],
                ["marketing", "free_entry_point", "1", "within 72 hours of a free entry point (an ad or page button that opened the chat)", ""],
                ["utility", "free_customer_service", "1", "inside the 24-hour customer service window the customer opened", ""],
            ]
        )
    }

    /// A MARKETING template skips US numbers at planning, with the reason; Canada shares +1 and is sent.
    @Test func marketingTemplatesSkipUSNumbers() async throws {
        let dir = TempDir()
        let home = dir.home
        try home.create()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        _ = try registry.merge(
            [
                Contact(phone: "+14155550100", name: "San Francisco"), Contact(phone: "+14165550100", name: "Toronto"),
                Contact(phone: "+919876500001", name: "Delhi"),
            ],
            now: Date()
        )
        try TemplateCache(
            data: [
                MessageTemplate(
                    name: "promo",
                    language: "en_US",
                    status: "APPROVED",
                    category: "MARKETING",
                    components: [.init(type: "BODY", text: "Hi {{1}}")]
                ),
                MessageTemplate(
                    name: "notice",
                    language: "en_US",
                    status: "APPROVED",
                    category: "UTILITY",
                    components: [.init(type: "BODY", text: "Hi {{1}}")]
                ),
            ]
        ).save(home.templatesFile)
        let planner = CampaignPlanner(
            registry: registry,
            normalizer: try PhoneNormalizer(defaultCountry: "91"),
            spool: Spool(directory: home.spool),
            events: EventLogWriter(directory: home.log),
            campaignsDirectory: home.campaigns,
            templatesFile: home.templatesFile
        )
        func plan(_ template: String) async throws -> CampaignPlanner.Plan {
            let manifest = try ManifestReader.read(
                Data(
                    #"{"id": "\#(template)", "template": {"name": "\#(template)", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
                        .utf8
                ),
                fileName: "m.json"
            )
            return try await planner.plan(manifest, sourceFile: "m.json")
        }
        let promo = try await plan("promo")
        #expect(promo.queued == 2)
        #expect(promo.skipped == [CampaignPlanner.usMarketingReason: 1])
        #expect(CampaignPlanner.usMarketingReason == "US number: Meta does not deliver marketing templates to US (+1) numbers")
        let notice = try await plan("notice")
        #expect(notice.queued == 3)
        #expect(notice.skipped.isEmpty)
        #expect(PhoneNormalizer.region(ofE164: "+14155550100") == "US")
        #expect(PhoneNormalizer.region(ofE164: "+14165550100") == "CA")
    }

    /// A clock the test moves forward: the dispatcher's `now` (spool due times follow it).
    final class ShiftedClock: @unchecked Sendable {
        private let lock = NSLock()
        private var offset: TimeInterval = 0
        var now: Date { lock.withLock { Date().addingTimeInterval(offset) } }
        func advance(_ seconds: TimeInterval) { lock.withLock { offset += seconds } }
    }

    /// Meta's per-user marketing cap (131049): tried again no sooner than a day later, at most twice, then
    /// failed with the reason, even when more attempts are allowed.
    @Test func thePerUserMarketingCapIsRetriedTwiceADayApart() async throws {
        var script = SandboxScript()
        script.failures = [.init(target: .phone("919876500001"), code: 131049)]
        let p = try CampaignFlowTests.Pipeline(contacts: 1, script: script)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "cap", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#),
            sourceFile: "cap.json"
        )
        let clock = ShiftedClock()
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero, maxAttempts: 5, now: { clock.now })) {
            for attempt in 1...3 {
                #expect(try await eventually { await p.sandbox.records().count == attempt }, "attempt \(attempt)")
                if attempt < 3 {
                    #expect(try await eventually { await p.spool.depth().deferred == 1 })
                    // Nothing more before a day has passed.
                    try await Task.sleep(for: .milliseconds(400))
                    #expect(await p.sandbox.records().count == attempt)
                    clock.advance(86_400 + 60)
                }
            }
            #expect(try await eventually { await p.spool.depth().failed == 1 })
        }
        #expect(await p.sandbox.records().count == 3)
        let record = try #require(p.ledger().records(campaign: "cap").first)
        #expect(record.status == .failed)
        #expect(record.errorCode == 131049)
        #expect(record.reason == "gave up after 3 attempts")
        #expect(record.attempts == 3)
    }

    static let image =
        #"{"id": "img", "template": {"name": "diwali_image", "language": "en_US"}, "audience": {"all": true}, "variables": {"header": {"image": "https://cdn.example/d.jpg"}, "body": {"first_name": "{name}", "discount": "20%"}, "buttons": [{"index": 0, "url": "x"}, {"index": 1, "copyCode": "C"}]}}"#

    /// 132012 (a media header left out) and 131053 for a link stop the campaign with the reason; its
    /// messages wait in the spool, none failed, and the queue of other campaigns goes on.
    @Test func headerFormatAndMediaFetchErrorsHoldTheCampaign() async throws {
        var script = SandboxScript()
        script.failures = [.init(target: .phone("919876500002"), code: 131053)]
        let p = try CampaignFlowTests.Pipeline(contacts: 2, script: script)
        // Without its header: the sandbox answers 132012 as Meta does.
        _ = try await p.planner.plan(
            try p.manifest(Self.image.replacingOccurrences(of: #""header": {"image": "https://cdn.example/d.jpg"}, "#, with: "")),
            sourceFile: "img.json"
        )
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero)) {
            let held = try await eventually { SpoolControl.load(spool: p.home.spool).campaignHolds["img"] != nil }
            #expect(held)
        }
        let hold = try #require(SpoolControl.load(spool: p.home.spool).campaignHolds["img"])
        #expect(hold.cause == .metaError(code: 132012))
        #expect(hold.reason == "(#132012) Parameter format does not match format in the created template")
        #expect(await p.spool.depth(campaign: "img").failed == 0)
        #expect(await p.spool.depth(campaign: "img").total == 2)
        // The workers had both messages in flight before the hold (two workers).
        #expect((1...2).contains(await p.sandbox.records().count))

        // With the header, one number's media fetch fails (131053): the link is the trouble, so the campaign stops.
        let q = try CampaignFlowTests.Pipeline(contacts: 2, script: script)
        _ = try await q.planner.plan(try q.manifest(Self.image.replacingOccurrences(of: #""img""#, with: #""img2""#)), sourceFile: "img2.json")
        try await q.running(q.dispatcher(rate: "50/s", pairSpacing: .zero)) {
            let held = try await eventually { SpoolControl.load(spool: q.home.spool).campaignHolds["img2"] != nil }
            #expect(held)
        }
        let media = try #require(SpoolControl.load(spool: q.home.spool).campaignHolds["img2"])
        #expect(media.cause == .media("https://cdn.example/d.jpg"))
        #expect(
            media.reason
                == "Meta could not fetch media https://cdn.example/d.jpg (#131053 Media upload error); fix the link or id, then resume"
        )
        #expect(await q.spool.depth(campaign: "img2").failed == 0)
    }

    /// 130472 (a marketing experiment): failed at once, not retried, counted apart from failures.
    @Test func anExperimentHoldBackIsCountedApart() async throws {
        var script = SandboxScript()
        script.failures = [.init(target: .phone("919876500001"), code: 130472)]
        let p = try CampaignFlowTests.Pipeline(contacts: 3, script: script)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "x", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#),
            sourceFile: "x.json"
        )
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero)) {
            let settled = try await eventually { CampaignCounts(p.ledger().records(campaign: "x")).pending == 0 }
            #expect(settled)
        }
        #expect(await p.sandbox.records().filter { $0.to == "+919876500001" }.count == 1)
        let counts = CampaignCounts(p.ledger().records(campaign: "x"))
        #expect(counts.heldBack == 1)
        #expect(counts.failed == 0)
        #expect(counts.sent == 2)
        #expect(counts.failureRate == 0)

        let dir = TempDir()
        let out = dir.url.appendingPathComponent("r.xlsx")
        let scope = ReportScope(timeZone: TimeZone(identifier: "UTC")!, campaigns: [:], rateCard: RateCard(parsing: "marketing=0.01")!)
        try CampaignReport(ledger: p.ledger(), scope: scope).write(to: out, generatedAt: Date())
        let book = try await readXLSX(out.path)
        let summary = try #require(book["Summary"])
        let values = Dictionary(summary.filter { $0.count >= 2 && !$0[0].isEmpty }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
        #expect(values["Failed"] == "0")
        #expect(values["Held back by Meta (marketing experiment)"] == "1")
        #expect(values["Failure rate"] == "0")
        let failures = try #require(book["Failures"])
        #expect(failures.count == 2)
        #expect(failures[1].prefix(3) == ["130472", "User's number is part of an experiment", "1"])
    }

    /// A media file that can no longer be sent (a good picture at planning, replaced by staff with a PDF of
    /// the same name before sending) holds its campaign with the reason before any message leaves.
    @Test func aMediaFileThatCannotBeUploadedHoldsTheCampaign() async throws {
        let p = try CampaignFlowTests.Pipeline(contacts: 2)
        try FileManager.default.createDirectory(at: p.home.media, withIntermediateDirectories: true)
        let poster = p.home.media.appendingPathComponent("poster.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).write(to: poster)
        let planner = CampaignPlanner(
            registry: p.registry,
            normalizer: try PhoneNormalizer(defaultCountry: "91"),
            spool: p.spool,
            events: p.events,
            campaignsDirectory: p.home.campaigns,
            mediaDirectory: p.home.media
        )
        _ = try await planner.plan(
            try p.manifest(
                #"{"id": "m", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "variables": {"header": {"image": "poster.jpg"}, "body": ["{name}"]}}"#
            ),
            sourceFile: "m.json"
        )
        try Data("%PDF-1.4\n%%EOF\n".utf8).write(to: poster)
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero, mediaDirectory: p.home.media)) {
            let held = try await eventually { SpoolControl.load(spool: p.home.spool).campaignHolds["m"] != nil }
            #expect(held)
        }
        let hold = try #require(SpoolControl.load(spool: p.home.spool).campaignHolds["m"])
        #expect(hold.cause == .media("poster.jpg"))
        #expect(hold.reason == "media poster.jpg is application/pdf, and the template's header takes an image (JPEG or PNG)")
        #expect(await p.sandbox.records().isEmpty)
        #expect(await p.spool.depth(campaign: "m").total == 2)
        #expect(await p.spool.depth(campaign: "m").failed == 0)
    }
}
