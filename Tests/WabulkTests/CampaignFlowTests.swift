import Campaigns
import CloudAPI
import Contacts
import EventLog
import Foundation
import Logging
import Sandbox
import Sending
import ServiceLifecycle
import Spool
import Testing
import WabulkBase
import WebhookListener

/// Campaigns through the real dispatcher to the real sandbox over loopback, in one process.
@Suite(.serialized) struct CampaignFlowTests {
    final class Pipeline: @unchecked Sendable {
        let dir = TempDir("wabulk-flow")
        let home: HomeLayout
        let registry: ContactRegistry
        let spool: Spool
        let events: EventLogWriter
        let planner: CampaignPlanner
        let control: CampaignControl
        let sandbox: SandboxServer
        let sandboxPort = freePort()
        /// With `webhooks`, the sandbox posts its statuses to a real listener writing this pipeline's event log.
        let listener: WebhookListener?
        var logger = Logger(label: "test")

        init(contacts: Int, script: SandboxScript = SandboxScript(), webhooks: Bool = false) throws {
            logger.logLevel = .critical
            home = dir.home
            try home.create()
            registry = try ContactRegistry(path: home.contactsDatabase)
            _ = try registry.merge(
                (1...contacts).map { Contact(phone: "+9198765\(String(format: "%05d", $0))", name: "C\($0)", tags: [$0 % 2 == 0 ? "even" : "odd"]) },
                now: Date()
            )
            spool = Spool(directory: home.spool)
            events = EventLogWriter(directory: home.log)
            planner = CampaignPlanner(
                registry: registry,
                normalizer: try PhoneNormalizer(defaultCountry: "91"),
                spool: spool,
                events: events,
                campaignsDirectory: home.campaigns
            )
            control = CampaignControl(campaignsDirectory: home.campaigns, spoolDirectory: home.spool, events: events, eventsDirectory: home.log)
            let listenerPort = freePort()
            listener =
                webhooks
                ? try WebhookListener(
                    options: .init(
                        host: "127.0.0.1",
                        port: listenerPort,
                        path: "/api/whatsapp/webhook",
                        appSecret: Secret("s"),
                        verifyToken: Secret("v")
                    ),
                    events: events,
                    logger: logger
                ) : nil
            sandbox = SandboxServer(
                port: sandboxPort,
                webhookURL: webhooks ? "http://127.0.0.1:\(listenerPort)/api/whatsapp/webhook" : nil,
                appSecret: Secret("s"),
                script: script,
                recordFile: nil,
                logger: logger
            )
        }

        func manifest(_ json: String) throws -> CampaignManifest { try ManifestReader.read(Data(json.utf8), fileName: "m.json") }

        func dispatcher(
            rate: String,
            pairSpacing: Duration = .seconds(6),
            maxAttempts: Int = 3,
            mediaDirectory: URL? = nil,
            messagingLimit: Int? = nil,
            currentLimit: (@Sendable () -> Int?)? = nil,
            now: @escaping @Sendable () -> Date = Date.init
        ) -> Dispatcher {
            var options = Dispatcher.Options(
                rate: SendRate(parsing: rate)!,
                retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(200), jitter: 0),
                concurrency: 2,
                idlePoll: .milliseconds(20),
                pairSpacing: pairSpacing
            )
            options.messagingLimit = messagingLimit
            options.currentLimit = currentLimit
            options.limitPoll = .milliseconds(100)
            return Dispatcher(
                spool: spool,
                spoolDirectory: home.spool,
                events: events,
                eventsDirectory: home.log,
                client: CloudAPIClient(baseURL: "http://127.0.0.1:\(sandboxPort)", version: "v23.0", phoneNumberID: "1", token: Secret("t")),
                options: options,
                logger: logger,
                now: now,
                mediaDirectory: mediaDirectory
            )
        }

        func ledger() -> MessageLedger { MessageLedger(logDirectory: home.log) }

        /// Runs the sandbox and a dispatcher while `body` runs. The dispatcher starts only once the sandbox
        /// listens: a send refused by a sandbox still binding its port would be a transient failure that
        /// spends an attempt (and once made a test see `attempts == 2`).
        func running(_ dispatcher: Dispatcher, _ body: () async throws -> Void) async throws {
            let (listening, signal) = AsyncStream<Void>.makeStream()
            let services: [any Service] = (listener.map { [$0.server()] } ?? []) + sandbox.services(onRunning: { _ in signal.yield() })
            let sandboxGroup = ServiceGroup(configuration: .init(services: services, logger: logger))
            let dispatcherGroup = ServiceGroup(configuration: .init(services: [dispatcher], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { outer in
                outer.addTask { try await sandboxGroup.run() }
                for await _ in listening { break }
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    inner.addTask { try await dispatcherGroup.run() }
                    try await body()
                    await dispatcherGroup.triggerGracefulShutdown()
                    try await inner.waitForAll()
                }
                await sandboxGroup.triggerGracefulShutdown()
                try await outer.waitForAll()
            }
        }
    }

    @Test func pauseHoldsResumeFinishesCancelDropsTheRest() async throws {
        // With webhooks: a send whose answer is late under load (CI once saw it) is settled by its webhook,
        // as in production, instead of waiting out the reconcile window.
        let p = try Pipeline(contacts: 30, webhooks: true)
        _ = try await p.planner.plan(
            try p.manifest(
                #"{"id": "a", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
            ),
            sourceFile: "a.json"
        )
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "b", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#),
            sourceFile: "b.json"
        )
        try await p.running(p.dispatcher(rate: "20/s", pairSpacing: .zero)) {
            let settled1 = try await eventually { CampaignCounts(p.ledger().records(campaign: "a")).sent >= 5 }
            #expect(settled1)
            _ = try await p.control.perform(.pause, campaign: "a", by: "test")
            // Cancelled at once: the two take turns, so b is about as far as a; later, b alone at 20/s could
            // finish on a loaded machine before the cancel came.
            _ = try await p.control.perform(.cancel, campaign: "b", by: "test")
            // In-flight sends finish: the count stops moving (their answers can take a while on a loaded machine).
            var paused = CampaignCounts(p.ledger().records(campaign: "a")).sent
            for _ in 0..<20 {
                try await Task.sleep(for: .milliseconds(500))
                let now = CampaignCounts(p.ledger().records(campaign: "a")).sent
                if now == paused { break }
                paused = now
            }
            try await Task.sleep(for: .milliseconds(800))
            #expect(CampaignCounts(p.ledger().records(campaign: "a")).sent == paused)
            _ = try await p.control.perform(.resume, campaign: "a", by: "test")
            let settled2 = try await eventually { CampaignCounts(p.ledger().records(campaign: "a")).sent == 30 }
            #expect(settled2)
        }
        let b = CampaignCounts(p.ledger().records(campaign: "b"))
        #expect(b.sent + b.cancelled == 30)
        #expect(b.cancelled > 0)
        #expect(b.pending == 0)
        let records = await p.sandbox.records()
        #expect(records.count == 30 + b.sent)
        #expect(Set(records.compactMap(\.callbackData)).count == records.count)  // nothing twice
        await #expect(throws: CampaignControl.ControlError.alreadyCancelled("b")) { try await p.control.perform(.resume, campaign: "b", by: "test") }
    }

    @Test func twoCampaignsTakeTurnsOnTheNumber() async throws {
        let p = try Pipeline(contacts: 20)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "odd", "template": {"name": "t", "language": "en"}, "audience": {"tags": ["odd"]}}"#),
            sourceFile: "o.json"
        )
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "even", "template": {"name": "t", "language": "en"}, "audience": {"tags": ["even"]}}"#),
            sourceFile: "e.json"
        )
        try await p.running(p.dispatcher(rate: "40/s", pairSpacing: .zero)) {
            let settled3 = try await eventually { await p.sandbox.records().count == 20 }
            #expect(settled3)
        }
        let order = await p.sandbox.records().map { $0.callbackData!.hasPrefix("odd.") ? "o" : "e" }
        // Round-robin: in every prefix the two campaigns are never more than 2 apart.
        var o = 0
        var e = 0
        for x in order {
            if x == "o" { o += 1 } else { e += 1 }
            #expect(abs(o - e) <= 2)
        }
    }

    @Test func theSameRecipientInTwoCampaignsIsSpacedByThePairLimit() async throws {
        let p = try Pipeline(contacts: 2)
        for id in ["first", "second"] {
            _ = try await p.planner.plan(
                try p.manifest(#"{"id": "\#(id)", "template": {"name": "t", "language": "en"}, "audience": {"phones": ["+919876500001"]}}"#),
                sourceFile: "\(id).json"
            )
        }
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .seconds(1))) {
            let settled4 = try await eventually { await p.sandbox.records().count == 2 }
            #expect(settled4)
        }
        let times = await p.sandbox.records().map { Timestamp.parse($0.time)! }
        #expect(times[1].timeIntervalSince(times[0]) >= 0.8)  // slots 1 s apart; arrival jitters on a busy machine
    }

    @Test func aCampaignRateCapsThatCampaignOnly() async throws {
        let p = try Pipeline(contacts: 6)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "slow", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "rate": "4/s"}"#),
            sourceFile: "s.json"
        )
        let started = Date()
        try await p.running(p.dispatcher(rate: "100/s", pairSpacing: .zero)) {
            let settled5 = try await eventually { await p.sandbox.records().count == 6 }
            #expect(settled5)
        }
        let times = await p.sandbox.records().map { Timestamp.parse($0.time)! }
        #expect(times.last!.timeIntervalSince(times.first!) >= 1.0)  // 6 sends at 4/s: slots 1.25 s apart end to end (uncapped: ~0.05 s)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func aSendWindowInKolkataHoldsMessagesUntilItOpens() async throws {
        let p = try Pipeline(contacts: 3)
        _ = try await p.planner.plan(
            try p.manifest(
                #"{"id": "w", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "sendWindow": {"from": "09:00", "to": "20:00", "timezone": "Asia/Kolkata"}}"#
            ),
            sourceFile: "w.json"
        )
        // 21:30 in Kolkata (16:00 UTC): nothing may go before 09:00 IST tomorrow (03:30 UTC).
        let fixed = ISO8601DateFormatter().date(from: "2026-11-28T16:00:00Z")!
        try await p.running(p.dispatcher(rate: "50/s", now: { fixed })) {
            let settled6 = try await eventually { await p.spool.depth().deferred == 3 }
            #expect(settled6)
        }
        #expect(await p.sandbox.records().isEmpty)
        let opening = ISO8601DateFormatter().date(from: "2026-11-29T03:30:00Z")!
        #expect(try await p.spool.claimNext(now: opening.addingTimeInterval(-1)) == nil)
        #expect(try await p.spool.claimNext(now: opening)?.notBefore == opening)
    }

    @Test func aDryRunSendsNothing() async throws {
        let p = try Pipeline(contacts: 5)
        let plan = try await p.planner.plan(
            try p.manifest(#"{"id": "dry", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "dryRun": true}"#),
            sourceFile: "d.json"
        )
        #expect(plan.dryRun)
        #expect(plan.queued == 5)
        #expect(await p.spool.depth().total == 0)
        #expect(p.ledger().messages.isEmpty)
    }

    @Test func retryFailedRequeuesOnlyTransientFailures() async throws {
        var script = SandboxScript()
        script.failures = [
            .init(target: .phone("919876500001"), code: 131000, times: 3),  // transient, outlasts 3 attempts
            .init(target: .phone("919876500002"), code: 131026),
        ]  // permanent
        let p = try Pipeline(contacts: 3, script: script)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "r", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#),
            sourceFile: "r.json"
        )
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero)) {
            let settled7 = try await eventually { CampaignCounts(p.ledger().records(campaign: "r")).pending == 0 }
            #expect(settled7)
            #expect(CampaignCounts(p.ledger().records(campaign: "r")).failed == 2)
            let message = try await p.control.perform(.retryFailed, campaign: "r", by: "test")
            #expect(message == "campaign r: 1 failed messages with a transient error queued again")
            let settled8 = try await eventually { CampaignCounts(p.ledger().records(campaign: "r")).sent == 2 }
            #expect(settled8)
        }
        let r = p.ledger().messages
        #expect(r["r.0000001"]?.status == .sent)
        #expect(r["r.0000002"]?.status == .failed)
        #expect(r["r.0000002"]?.errorCode == 131026)
        // 3 failed attempts, then one more after retry-failed; 1 for the permanent failure; 1 success.
        #expect(await p.sandbox.records().count == 6)
    }
}
