import Campaigns
import CloudAPI
import Contacts
import Curl
import EventLog
import Foundation
import Logging
import ServiceLifecycle
import Spool
import Templates
import Testing
import WabulkBase
import WebhookListener

/// Meta-shaped payloads (meta-cloud-api.md, section 6) posted signed over real HTTP to the listener; the
/// event log is folded back and the follower's effects read from the registry, spool and template cache.
@Suite struct WebhookFlowTests {
    static let secret = Secret("app-secret")

    static func envelope(_ changes: String) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[\#(changes)]}]}"#.utf8)
    }

    static func statuses(_ items: [String]) -> String {
        #"{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"statuses":[\#(items.joined(separator: ","))]}}"#
    }

    static func status(
        _ wamid: String,
        _ status: String,
        at time: Int,
        job: String? = nil,
        phone: String = "919876500001",
        error: Int? = nil
    ) -> String {
        var s = #"{"id":"\#(wamid)","status":"\#(status)","timestamp":"\#(time)","recipient_id":"\#(phone)""#
        if let job { s += #","biz_opaque_callback_data":"\#(job)""# }
        if status == "sent" { s += #","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}"# }
        if let error {
            s += #","errors":[{"code":\#(error),"title":"Message undeliverable","message":"Message undeliverable","error_data":{"details":"x"}}]"#
        }
        return s + "}"
    }

    static func inbound(from: String, id: String, _ message: String) -> String {
        #"{"field":"messages","value":{"messaging_product":"whatsapp","contacts":[{"profile":{"name":"A"},"wa_id":"\#(from)"}],"messages":[{"from":"\#(from)","id":"\#(id)","timestamp":"1750030075",\#(message)}]}}"#
    }

    /// A listener on a free port for the duration of `body`.
    static func withListener(
        _ dir: URL,
        maxBody: Int = 4 << 20,
        port: Int = freePort(),
        _ body: (_ post: @escaping ([UInt8], String?) async throws -> Int) async throws -> Void
    ) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let listener = try WebhookListener(
            options: .init(
                host: "127.0.0.1",
                port: port,
                path: "/api/whatsapp/webhook",
                appSecret: secret,
                verifyToken: Secret("v"),
                maxBodyBytes: maxBody,
                optOutKeywords: ["STOP", "UNSUBSCRIBE", "Stop promotions", "रोकें"]
            ),
            events: EventLogWriter(directory: dir),
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [listener.server()], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask(executorPreference: ServerExecutor()) { try await group.run() }
            let http = CurlPool()
            #expect(
                try await eventually { (try? await http.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/healthz")))?.status == 200 }
            )
            try await body { bytes, signature in
                var headers = [("Content-Type", "application/json")]
                if let signature { headers.append((WebhookSignature.headerName, signature)) }
                return try await http.perform(
                    HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/api/whatsapp/webhook", headers: headers, body: bytes)
                ).status
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func sign(_ body: [UInt8]) -> String { WebhookSignature.sign(body, secret: secret) }

    @Test func aSignedBatchOfAHundredStatusesIsStoredWholeAndReplaysChangeNothing() async throws {
        let dir = TempDir()
        let writer = EventLogWriter(directory: dir.url)
        // The sends the statuses are about, as the dispatcher records them.
        try await writer.append(
            (1...100).map { i in
                MessageEvent(
                    time: Date(timeIntervalSince1970: 1_750_030_000),
                    status: .sent,
                    campaign: "c",
                    job: String(format: "c.%07d", i),
                    phone: "+91987650\(String(format: "%04d", i))",
                    wamid: "wamid.\(i)",
                    attempt: 1,
                    source: "dispatch"
                )
            }
        )
        writer.close()
        let batch = Self.envelope(
            Self.statuses(
                (1...100).map { i in
                    Self.status(
                        "wamid.\(i)",
                        i % 4 == 0 ? "read" : "delivered",
                        at: 1_750_030_100 + i,
                        job: String(format: "c.%07d", i),
                        phone: "91987650\(String(format: "%04d", i))"
                    )
                }
            )
        )
        try await Self.withListener(dir.url) { post in
            let answer1 = try await post(batch, Self.sign(batch))
            #expect(answer1 == 200)
            let once = MessageLedger(events: EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events)
            let answer2 = try await post(batch, Self.sign(batch))
            #expect(answer2 == 200)  // Meta redelivers
            let twice = MessageLedger(events: EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events)
            #expect(once.records() == twice.records())
            let counts = CampaignCounts(twice.records(campaign: "c"))
            #expect(counts.total == 100)
            #expect(counts.delivered == 100)
            #expect(counts.read == 25)
        }
        let events = EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events
        #expect(events.filter { $0.kind == .webhook }.count == 2)
        #expect(events.filter { $0.kind == .webhook }.allSatisfy { $0.raw.map { Array($0.utf8) } == batch })
        #expect(events.filter { $0.source == "webhook" && $0.kind == .status }.count == 200)
    }

    /// Three POSTs sent in one write on one connection (HTTP pipelining: Meta does not, a proxy may) are
    /// answered in their order, the forged one in the middle refused without holding up the others, and
    /// `Connection: close` on the last closes the connection after its answer.
    @Test func pipelinedPostsAreAnsweredInOrder() async throws {
        let dir = TempDir()
        let port = freePort()
        try await Self.withListener(dir.url, port: port) { _ in
            func request(_ n: Int, signature: String? = nil, close: Bool = false) -> String {
                let body = String(
                    decoding: Self.envelope(Self.statuses([Self.status("wamid.P\(n)", "delivered", at: 1_750_030_000 + n)])),
                    as: UTF8.self
                )
                return "POST /api/whatsapp/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "\(WebhookSignature.headerName): \(signature ?? Self.sign(Array(body.utf8)))\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" + body
            }
            let client = try ListenerLimitTests.SlowClient(port: port)
            #expect(client.send(request(1) + request(2, signature: "sha256=" + String(repeating: "0", count: 64)) + request(3, close: true)))
            let (closed, received) = try await onOwnThread { client.waitForClose(seconds: 10) }
            #expect(closed)
            let statuses = received.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }
            #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 401 Unauthorized", "HTTP/1.1 200 OK"])
        }
        let events = EventLogReader(directory: dir.url).readAll().events
        #expect(events.compactMap(\.wamid) == ["wamid.P1", "wamid.P3"])
    }

    @Test func outOfOrderReadWithoutDeliveredAndFailedAfterSent() async throws {
        let dir = TempDir()
        let writer = EventLogWriter(directory: dir.url)
        try await writer.append(
            (1...3).map { i in
                MessageEvent(
                    time: Date(timeIntervalSince1970: 1_750_030_000),
                    status: .sent,
                    campaign: "c",
                    job: "c.\(i)",
                    wamid: "wamid.\(i)",
                    source: "dispatch"
                )
            }
        )
        writer.close()
        try await Self.withListener(dir.url) { post in
            // 1: read arrives before delivered; 2: read only (chat was open); 3: failed after sent.
            for body in [
                Self.envelope(Self.statuses([Self.status("wamid.1", "read", at: 1_750_030_300)])),
                Self.envelope(
                    Self.statuses([Self.status("wamid.1", "delivered", at: 1_750_030_200), Self.status("wamid.2", "read", at: 1_750_030_400)])
                ),
                Self.envelope(
                    Self.statuses([
                        Self.status("wamid.3", "sent", at: 1_750_030_100), Self.status("wamid.3", "failed", at: 1_750_030_150, error: 131026),
                    ])
                ),
                Self.envelope(Self.statuses([Self.status("wamid.unknown", "delivered", at: 1_750_030_500)])),
            ] {
                let answer3 = try await post(body, Self.sign(body))
                #expect(answer3 == 200)
            }
        }
        let ledger = MessageLedger(events: EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events)
        let one = try #require(ledger.messages["c.1"])
        #expect(one.status == .read)
        #expect(one.times[.delivered] == Timestamp.format(Date(timeIntervalSince1970: 1_750_030_200)))
        #expect(one.times[.read] == Timestamp.format(Date(timeIntervalSince1970: 1_750_030_300)))
        let two = try #require(ledger.messages["c.2"])
        #expect(two.status == .read)
        #expect(two.times[.delivered] == Timestamp.format(Date(timeIntervalSince1970: 1_750_030_400)))
        let three = try #require(ledger.messages["c.3"])
        #expect(three.status == .failed)
        #expect(three.errorCode == 131026)
        #expect(three.pricingCategory == "marketing")
        #expect(ledger.orphans.map(\.wamid) == ["wamid.unknown"])
    }

    @Test func badSignaturesOversizedAndMalformedBodiesRecordNothing() async throws {
        let dir = TempDir()
        try await Self.withListener(dir.url, maxBody: 2_000) { post in
            let body = Self.envelope(Self.statuses([Self.status("wamid.1", "read", at: 1)]))
            let answer4 = try await post(body, nil)
            #expect(answer4 == 401)
            let answer5 = try await post(body, WebhookSignature.sign(body, secret: Secret("guess")))
            #expect(answer5 == 401)
            // Meta escapes non-ASCII; re-encoding the same JSON with raw UTF-8 changes the bytes the HMAC covers.
            let escaped = Self.envelope(
                Self.inbound(from: "919876500001", id: "wamid.in1", #""type":"text","text":{"body":"\u0930\u094b\u0915\u0947\u0902"}"#)
            )
            let reencoded = [UInt8](try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: Data(escaped))))
            #expect(reencoded != escaped)
            let answer6 = try await post(reencoded, Self.sign(escaped))
            #expect(answer6 == 401)
            let big = Self.envelope(Self.statuses((1...40).map { Self.status("wamid.\($0)", "read", at: $0) }))
            #expect(big.count > 2_000)
            let answer7 = try await post(big, Self.sign(big))
            #expect(answer7 == 413)
            let malformed = Array(#"{"object":"whatsapp_business_account","entry":[{"#.utf8)
            let answer8 = try await post(malformed, Self.sign(malformed))
            #expect(answer8 == 400)
            #expect(EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events.isEmpty)
            let answer9 = try await post(escaped, Self.sign(escaped))
            #expect(answer9 == 200)
        }
        let events = EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events
        #expect(events.map(\.kind) == [.webhook, .inbound, .optOut])  // "रोकें" is a configured keyword
        #expect(events[1].reason == "रोकें")
    }

    /// A daemon-like setup: registry, spool with waiting jobs, a campaign, the template cache; the
    /// follower applies what the listener stored.
    struct Fixture {
        let dir = TempDir()
        var home: HomeLayout { dir.home }
        let registry: ContactRegistry
        let events: EventLogWriter

        init() async throws {
            let home = dir.home
            try home.create()
            registry = try ContactRegistry(path: home.contactsDatabase)
            _ = try registry.merge((1...4).map { Contact(phone: "+91987650000\($0)", name: "C\($0)") }, now: Date())
            events = EventLogWriter(directory: home.log)
            let planner = CampaignPlanner(
                registry: registry,
                normalizer: try PhoneNormalizer(defaultCountry: "91"),
                spool: Spool(directory: home.spool),
                events: events,
                campaignsDirectory: home.campaigns
            )
            let manifest = try ManifestReader.read(
                Data(
                    #"{"id": "diwali", "template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}", "20%"]}}"#
                        .utf8
                ),
                fileName: "m.json"
            )
            _ = try await planner.plan(manifest, sourceFile: "m.json")
            try TemplateCache(
                fetchedAt: "2026-11-28T00:00:00.000Z",
                data: [
                    MessageTemplate(
                        name: "diwali_offer",
                        language: "en_US",
                        status: "APPROVED",
                        components: [.init(type: "BODY", text: "Hi {{1}}, {{2}} off")]
                    )
                ]
            ).save(home.templatesFile)
        }

        func follow() async throws -> Int {
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let follower = WebhookFollower(home: home, registry: registry, events: events, logger: logger)
            return await follower.catchUp()
        }

        func waitingPhones() -> Set<String> {
            Set(
                MessageLedger(events: EventLogReader(directory: home.log).readAll(includingRawBodies: true).events).records(campaign: "diwali")
                    .filter { $0.status == .queued }.compactMap(\.phone)
            )
        }
    }

    @Test func stopTheOptOutButtonAndUserPreferencesOptContactsOutAndBackIn() async throws {
        let f = try await Fixture()
        try await Self.withListener(f.home.log) { post in
            for body in [
                Self.envelope(Self.inbound(from: "919876500001", id: "wamid.in1", #""type":"text","text":{"body":"  stop "}"#)),
                Self.envelope(
                    Self.inbound(
                        from: "919876500002",
                        id: "wamid.in2",
                        #""type":"button","context":{"from":"15550001111","id":"wamid.tpl"},"button":{"payload":"Stop promotions","text":"Stop promotions"}"#
                    )
                ),
                Self.envelope(Self.inbound(from: "919876500003", id: "wamid.in3", #""type":"text","text":{"body":"Please stop sending these"}"#)),
                Self.envelope(
                    #"{"field":"user_preferences","value":{"messaging_product":"whatsapp","user_preferences":[{"wa_id":"919876500004","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1750030080}]}}"#
                ),
            ] {
                let answer10 = try await post(body, Self.sign(body))
                #expect(answer10 == 200)
            }
        }
        #expect(f.waitingPhones().count == 4)
        #expect(try await f.follow() == 3)
        for phone in ["+919876500001", "+919876500002", "+919876500004"] {
            let c = try #require(try f.registry.contact(phone: phone))
            #expect(c.optedOut)
        }
        #expect(try f.registry.contact(phone: "+919876500003")?.optedOut == false)  // not a keyword, only logged
        #expect(try f.registry.contact(phone: "+919876500001")?.optOutSource == "webhook: replied \"  stop \"")
        // Their waiting messages are dropped and say why; the others still wait.
        #expect(f.waitingPhones() == ["+919876500003"])
        let ledger = MessageLedger(events: EventLogReader(directory: f.home.log).readAll(includingRawBodies: true).events)
        let skipped = ledger.records(campaign: "diwali").filter { $0.status == .skipped }
        #expect(skipped.count == 3)
        #expect(
            skipped.compactMap(\.reason).sorted() == [
                "opted out (webhook: replied \"  stop \")", "opted out (webhook: replied \"Stop promotions\")",
                "opted out (webhook: stopped marketing_messages in WhatsApp)",
            ]
        )
        #expect(Spool.depth(in: f.home.spool, campaign: "diwali").ready == 1)
        #expect(try await f.follow() == 0)  // the follower's place is kept: nothing is applied twice

        try await Self.withListener(f.home.log) { post in
            let resume = Self.envelope(
                #"{"field":"user_preferences","value":{"messaging_product":"whatsapp","user_preferences":[{"wa_id":"919876500004","detail":"resumed","category":"marketing_messages","value":"resume","timestamp":1750030090}]}}"#
            )
            let answer11 = try await post(resume, Self.sign(resume))
            #expect(answer11 == 200)
        }
        #expect(try await f.follow() == 1)
        #expect(try f.registry.contact(phone: "+919876500004")?.optedOut == false)
    }

    @Test func aTemplatePausedMidCampaignHoldsItAndApprovalLiftsTheHold() async throws {
        let f = try await Fixture()
        func post(_ status: String) async throws {
            let body = Self.envelope(
                #"{"field":"message_template_status_update","value":{"event":"\#(status)","message_template_id":594425479261596,"message_template_name":"diwali_offer","message_template_language":"en_US","reason":null,"other_info":{"title":"FIRST_PAUSE","description":"Your template has been paused due to low quality"}}}"#
            )
            try await Self.withListener(f.home.log) { post in
                let answer = try await post(body, Self.sign(body))
                #expect(answer == 200)
            }
        }
        // An A/B test whose second variant uses the template is held whole with it.
        let ab =
            #"{"manifest": {"id": "ab", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variants": [{"template": {"name": "spring_sale", "language": "en_US"}, "share": 50}, {"template": {"name": "diwali_offer", "language": "en_US"}, "share": 50}]}, "phase": "spooled", "createdAt": "2026-12-01T09:00:00.000Z", "sourceFile": "ab.json", "queued": 0, "skipped": {}}"#
        try Data(ab.utf8).write(to: f.home.campaigns.appendingPathComponent("ab.json"))
        try await post("PAUSED")
        #expect(try await f.follow() == 1)
        #expect(SpoolControl.load(spool: f.home.spool).campaignHolds["ab"]?.reason.hasPrefix("template diwali_offer is PAUSED") == true)
        let hold = try #require(SpoolControl.load(spool: f.home.spool).campaignHolds["diwali"])
        #expect(
            hold.reason
                == "template diwali_offer is PAUSED at Meta: Your template has been paused due to low quality; resume once it is approved again"
        )
        #expect(try TemplateCache.load(f.home.templatesFile)?.template(name: "diwali_offer", language: "en_US")?.status == "PAUSED")
        // A new manifest for the paused template is refused by the catalog now.
        let manifest = try ManifestReader.read(
            Data(
                #"{"id": "again", "template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}", "5%"]}}"#
                    .utf8
            ),
            fileName: "m2.json"
        )
        #expect(
            TemplateCatalog.load(f.home.templatesFile)?.problems(for: manifest).map(\.description) == [
                "template: \"diwali_offer\" (en_US) is PAUSED, not APPROVED"
            ]
        )
        try await post("APPROVED")
        #expect(try await f.follow() == 1)
        #expect(SpoolControl.load(spool: f.home.spool).campaignHolds["diwali"] == nil)
        #expect(SpoolControl.load(spool: f.home.spool).campaignHolds["ab"] == nil)
        #expect(Spool.depth(in: f.home.spool, campaign: "diwali").ready == 4)
    }
}
