import CloudAPI
import EventLog
import Foundation
import Sandbox
import Sending
import Spool
import Testing
import WabulkBase

/// The dispatcher against the sandbox scripted with each class of Meta error, on an injected wall clock.
@Suite(.serialized) struct SendingFlowTests {
    /// A wall clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private let start: Date
        private var milliseconds = 0  // whole milliseconds, so moving it never accumulates rounding
        init(_ start: Date) { self.start = start }
        var now: Date { lock.withLock { start.addingTimeInterval(Double(milliseconds) / 1000) } }
        func advance(_ seconds: TimeInterval) { lock.withLock { milliseconds += Int((seconds * 1000).rounded()) } }
    }

    typealias Pipeline = CampaignFlowTests.Pipeline

    func plan(_ p: Pipeline, phones: [String]) async throws {
        let list = phones.map { "\"\($0)\"" }.joined(separator: ",")
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "s", "template": {"name": "t", "language": "en"}, "audience": {"phones": [\#(list)]}}"#),
            sourceFile: "s.json"
        )
    }

    @Test func transientErrorsAreRetriedWithTheSeedSystemsBackoffThenSucceed() async throws {
        var script = SandboxScript()
        script.failures = [.init(target: .phone("919876500001"), code: 131000, times: 2)]
        let p = try Pipeline(contacts: 1, script: script)
        try await plan(p, phones: ["+919876500001"])
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = ManualClock(t0)
        let dispatcher = Dispatcher(
            spool: p.spool,
            spoolDirectory: p.home.spool,
            events: p.events,
            eventsDirectory: p.home.log,
            client: CloudAPIClient(baseURL: "http://127.0.0.1:\(p.sandboxPort)", version: "v23.0", phoneNumberID: "1", token: Secret("t")),
            options: .init(
                rate: SendRate(count: 50, window: .seconds(1)),
                retry: RetryPolicy(maxAttempts: 3, baseDelay: .seconds(5), jitter: 0),
                concurrency: 1,
                idlePoll: .milliseconds(10),
                pairSpacing: .zero
            ),
            logger: p.logger,
            now: { clock.now }
        )
        try await p.running(dispatcher) {
            let first = try await eventually { await p.sandbox.records().count == 1 && p.ledger().messages["s.0000001"]?.status == .deferred }
            #expect(first)
            #expect(p.ledger().messages["s.0000001"]?.reason == "retry at \(Timestamp.format(t0.addingTimeInterval(5)))")
            clock.advance(4.9)
            try await Task.sleep(for: .milliseconds(300))
            #expect(await p.sandbox.records().count == 1)  // not a moment early
            clock.advance(0.1)
            let second = try await eventually {
                await p.sandbox.records().count == 2
                    && p.ledger().messages["s.0000001"]?.reason == "retry at \(Timestamp.format(t0.addingTimeInterval(15)))"
            }
            let outcomes = await p.sandbox.records().map(\.outcome)
            #expect(second, "records \(outcomes), \(String(describing: p.ledger().messages["s.0000001"]))")  // 5 s, then 10 s
            clock.advance(10)
            let third = try await eventually { p.ledger().messages["s.0000001"]?.status == .sent }
            #expect(third)
        }
        #expect(p.ledger().messages["s.0000001"]?.attempts == 3)
        #expect(await p.sandbox.records().map(\.outcome) == ["error", "error", "accepted"])
    }

    @Test func permanentErrorsFailAtOnceAndTransientOnesGiveUpAfterThreeAttempts() async throws {
        var script = SandboxScript()
        script.failures = [.init(target: .phone("919876500001"), code: 131026), .init(target: .phone("919876500002"), code: 133004)]
        let p = try Pipeline(contacts: 2, script: script)
        try await plan(p, phones: ["+919876500001", "+919876500002"])
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero)) {
            let done = try await eventually { CampaignCounts(p.ledger().records(campaign: "s")).failed == 2 }
            #expect(done)
        }
        let byPhone = Dictionary(grouping: await p.sandbox.records(), by: \.to)
        #expect(byPhone["+919876500001"]?.count == 1)
        #expect(byPhone["+919876500002"]?.count == 3)
        #expect(p.ledger().messages["s.0000002"]?.reason == "gave up after 3 attempts")
    }

    @Test func anExpiredTokenPausesEverythingAndFailsNothingUntilResumed() async throws {
        var script = SandboxScript()
        script.expectedToken = "fresh"
        let p = try Pipeline(contacts: 5, script: script)
        try await plan(p, phones: (1...5).map { "+91987650000\($0)" })
        // The daemon's token is "t": Meta answers 190.
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero)) {
            let paused = try await eventually { SpoolControl.load(spool: p.home.spool).queueHold != nil }
            #expect(paused)
            try await Task.sleep(for: .milliseconds(500))
            #expect(await p.sandbox.records().count <= 2)  // at most the requests already under way (2 workers)
            let counts = CampaignCounts(p.ledger().records(campaign: "s"))
            #expect(counts.failed == 0)
            #expect(counts.pending == 5)
            #expect(SpoolControl.load(spool: p.home.spool).queueHold?.errorCode == 190)
        }
        // The operator fixes the token and runs `wabulk resume`.
        let fixed = CampaignFlowTests.Pipeline.Fixed(p, token: "fresh")
        try SpoolControl.update(spool: p.home.spool) { $0.queueHold = nil }
        try await p.running(fixed.dispatcher) {
            let sent = try await eventually { CampaignCounts(p.ledger().records(campaign: "s")).sent == 5 }
            #expect(sent)
        }
        for message in p.ledger().records(campaign: "s") { #expect(message.attempts == 1) }
    }

    @Test func aPairLimitDelaysOnlyThatRecipient() async throws {
        var script = SandboxScript()
        script.failures = [.init(target: .phone("919876500001"), code: 131056, times: 1)]
        let p = try Pipeline(contacts: 6, script: script)
        try await plan(p, phones: (1...6).map { "+91987650000\($0)" })
        try await p.running(p.dispatcher(rate: "50/s", pairSpacing: .zero)) {
            let all = try await eventually(timeout: 30) { CampaignCounts(p.ledger().records(campaign: "s")).sent == 6 }
            #expect(all)
        }
        // Read from what the sandbox received, not by watching the moment (a busy machine can miss it): the
        // others did not wait for that recipient's retry, which came no sooner than 4^0 = 1 s later.
        let records = await p.sandbox.records()
        let first = records.filter { $0.to == "+919876500001" }.map { Timestamp.parse($0.time)! }
        #expect(first.count == 2)
        #expect(first[1].timeIntervalSince(first[0]) >= 0.8)  // arrival jitters
        let others = records.filter { $0.to != "+919876500001" }.map { Timestamp.parse($0.time)! }
        #expect(others.count == 5)
        #expect(others.allSatisfy { $0 < first[1] })
    }

    @Test func throughputLimitSlowsTheWholeNumber() async throws {
        var script = SandboxScript()
        script.failures = [.init(target: .phone("919876500001"), code: 130429, times: 1)]
        let p = try Pipeline(contacts: 12, script: script)
        try await plan(p, phones: (1...12).map { "+919876500\(String(format: "%03d", $0))" })
        try await p.running(p.dispatcher(rate: "20/s", pairSpacing: .zero)) {
            let done = try await eventually(timeout: 20) { CampaignCounts(p.ledger().records(campaign: "s")).sent == 12 }
            #expect(done)
        }
        let times = await p.sandbox.records().map { Timestamp.parse($0.time)! }
        // 50 ms spacing at 20/s; after the 130429, 100 ms until a window's worth of successes. Arrival times
        // jitter on a loaded machine, so the span is compared, not each gap: the 10 sends after the first two
        // take about 0.9 s when slowed, 0.45 s when not; 0.7 s splits the two with room for a late first
        // arrival. (The second send's slot was taken before the 130429.)
        let span = times[times.count - 1].timeIntervalSince(times[2])
        #expect(span >= 0.7, "span of the last \(times.count - 3) gaps: \(span) s")
    }
}

extension CampaignFlowTests.Pipeline {
    /// A dispatcher with another token (the operator's fix).
    struct Fixed {
        let dispatcher: Dispatcher
        init(_ p: CampaignFlowTests.Pipeline, token: String) {
            dispatcher = Dispatcher(
                spool: Spool(directory: p.home.spool),
                spoolDirectory: p.home.spool,
                events: p.events,
                eventsDirectory: p.home.log,
                client: CloudAPIClient(baseURL: "http://127.0.0.1:\(p.sandboxPort)", version: "v23.0", phoneNumberID: "1", token: Secret(token)),
                options: .init(rate: SendRate(count: 50, window: .seconds(1)), concurrency: 2, idlePoll: .milliseconds(20), pairSpacing: .zero),
                logger: p.logger
            )
        }
    }
}
