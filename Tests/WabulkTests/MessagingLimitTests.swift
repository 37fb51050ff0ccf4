import Account
import Campaigns
import CloudAPI
import Curl
import EventLog
import Foundation
import Logging
import Sandbox
import ServiceLifecycle
import Spool
import Testing
import WabulkBase

@testable import Sending

/// Meta's messaging limit (unique people a moving 24 hours) kept by wabulk itself: a campaign bigger than
/// the limit sends what the window allows, waits with the reason, and goes on as the window frees, with no
/// error from Meta.
@Suite struct MessagingLimitTests {
    @Test func theBudgetCountsEachPersonOncePerWindow() {
        var budget = MessagingBudget(limit: 2)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        #expect(budget.admit("+1", now: t0) == .go)
        #expect(budget.admit("+2", now: t0.addingTimeInterval(10)) == .go)
        #expect(budget.admit("+1", now: t0.addingTimeInterval(20)) == .go)  // again: counts once
        #expect(budget.admit("+3", now: t0.addingTimeInterval(30)) == .wait(until: t0.addingTimeInterval(86_410), used: 2, limit: 2))
        // +1's latest message was at t0+20, so +2 (t0+10) leaves first.
        #expect(budget.admit("+3", now: t0.addingTimeInterval(86_411)) == .go)
        #expect(budget.admit("+4", now: t0.addingTimeInterval(86_412)) == .wait(until: t0.addingTimeInterval(86_420), used: 2, limit: 2))
        // A message that never reached Meta gives its place back.
        var other = MessagingBudget(limit: 1)
        #expect(other.admit("+9", now: t0) == .go)
        other.withdraw("+9", countedAt: t0, previous: nil)
        #expect(other.admit("+8", now: t0) == .go)
        #expect(MessagingBudget(limit: nil).used == 0)
    }

    @Test func aCampaignBiggerThanTheLimitSendsAsTheWindowFrees() async throws {
        let clock = MetaRulesTests.ShiftedClock()
        var script = SandboxScript()
        script.messagingLimit = 250
        script.now = { clock.now }
        let p = try CampaignFlowTests.Pipeline(contacts: 600, script: script)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "big", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#),
            sourceFile: "big.json"
        )
        func accepted() async -> [SandboxRecord] { await p.sandbox.records().filter { $0.outcome == "accepted" } }
        let start = clock.now
        try await p.running(p.dispatcher(rate: "500/s", pairSpacing: .zero, messagingLimit: 250, now: { clock.now })) {
            let first = try await eventually(timeout: 60) {
                let sent = await accepted().count
                let waiting = await p.spool.depth(campaign: "big").deferred
                return sent == 250 && waiting == 350
            }
            #expect(first)
            try await Task.sleep(for: .milliseconds(500))
            #expect(await accepted().count == 250)
            // `wabulk status` shows the window: 250 of 250 used, and when the next person leaves it.
            var settings = Settings()
            settings.messagingLimit = .people(250)
            let status = await StatusSnapshot.take(home: p.home, settings: settings, now: clock.now)
            #expect(status.messaging?.used == 250)
            #expect(status.messaging?.limit == 250)
            let nextFree = try #require(status.messaging?.nextFreeAt.flatMap(Timestamp.parse))
            #expect(nextFree.timeIntervalSince(clock.now) > 86_000)
            #expect(status.text.contains("messaging limit: 250 people messaged in the last 24 hours, a limit of 250; reached, next free at "))
            // Someone already messaged in the window is messaged again at the limit: they count once.
            let again = try p.manifest(
                #"{"id": "again", "template": {"name": "t", "language": "en"}, "audience": {"phones": ["+919876500001"]}}"#
            )
            _ = try await p.planner.plan(again, sourceFile: "again.json")
            let repeated = try await eventually { await accepted().count == 251 }
            #expect(repeated)
            clock.advance(86_400 + 60)
            let second = try await eventually(timeout: 60) {
                let sent = await accepted().count
                let waiting = await p.spool.depth(campaign: "big").deferred
                return sent == 501 && waiting == 100
            }
            #expect(second)
            clock.advance(86_400 + 60)
            let third = try await eventually(timeout: 60) {
                let sent = await accepted().count
                let waiting = await p.spool.depth(campaign: "big").total
                return sent == 601 && waiting == 0
            }
            #expect(third)
        }
        let records = await p.sandbox.records()
        #expect(records.filter { $0.outcome != "accepted" }.isEmpty)
        #expect(Set(records.filter { $0.template == "t" }.map(\.to)).count == 600)
        // Each wait says why and until when.
        let final = p.ledger().records(campaign: "big")
        #expect(final.count == 600)
        #expect(final.allSatisfy { $0.status != .deferred && $0.status != .failed })
        let deferred = try EventLogReader(directory: p.home.log).readAll().events.filter { $0.status == .deferred && $0.campaign == "big" }
        #expect(
            deferred.count >= 350,
            "\(Dictionary(grouping: deferred, by: { String($0.time.prefix(10)) }).mapValues(\.count)) \(Dictionary(grouping: deferred, by: { $0.reason?.suffix(24) ?? "" }).mapValues(\.count))"
        )
        let firstWait = try #require(deferred.first?.reason)
        #expect(firstWait.hasPrefix("messaging limit: 250 of 250 used; next free at "))
        let freeAt = try #require(Timestamp.parse(String(firstWait.dropFirst("messaging limit: 250 of 250 used; next free at ".count))))
        // A day after the first message of the window (counted just before its request left).
        let firstSent = try #require(
            try EventLogReader(directory: p.home.log).readAll().events.filter { $0.status == .sent && $0.campaign == "big" }.compactMap(\.date).min()
        )
        #expect(abs(freeAt.timeIntervalSince(firstSent) - 86_400) < 10)
        #expect(freeAt > start)
        #expect(deferred.allSatisfy { $0.attempt == 0 })
    }

    final class LimitBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int?
        init(_ value: Int?) { self.value = value }
        var limit: Int? {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }

    /// A raised limit (Meta's `business_capability_update`, or the operator's setting) releases the jobs
    /// held back for it at once, not when the window would have freed.
    @Test func aRaisedLimitReleasesTheWaitingJobsAtOnce() async throws {
        let p = try CampaignFlowTests.Pipeline(contacts: 10)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "raise", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#),
            sourceFile: "raise.json"
        )
        let limit = LimitBox(4)
        func accepted() async -> Int { await p.sandbox.records().filter { $0.outcome == "accepted" }.count }
        try await p.running(p.dispatcher(rate: "500/s", pairSpacing: .zero, currentLimit: { limit.limit })) {
            let held = try await eventually {
                let sent = await accepted()
                let waiting = await p.spool.depth(campaign: "raise").deferred
                return sent == 4 && waiting == 6
            }
            #expect(held)
            limit.limit = 10
            let raisedAt = Date()
            let released = try await eventually(timeout: 10) { await accepted() == 10 }
            #expect(released)
            // The dispatcher looks at the limit every 2 s; a held job then goes with the next claim. The rest of
            // the bound is for a busy machine (3.5 s seen while other suites ran): waiting for the window would
            // take a day.
            #expect(Date().timeIntervalSince(raisedAt) < 6)
        }
    }

    /// The jobs held back are known from the spool, not the dispatcher's memory: a daemon restarted after the
    /// limit rose sends them at once instead of waiting a day for their window.
    @Test func aRestartAfterTheLimitRoseReleasesTheJobsHeldBefore() async throws {
        let p = try CampaignFlowTests.Pipeline(contacts: 10)
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "restart", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#),
            sourceFile: "restart.json"
        )
        func accepted() async -> Int { await p.sandbox.records().filter { $0.outcome == "accepted" }.count }
        try await p.running(p.dispatcher(rate: "500/s", pairSpacing: .zero, currentLimit: { 4 })) {
            let held = try await eventually {
                let sent = await accepted()
                let waiting = await p.spool.depth(campaign: "restart").deferred
                return sent == 4 && waiting == 6
            }
            #expect(held)
        }
        #expect(try await p.spool.waiting(for: Spool.messagingLimitCause).count == 6)
        let restartedAt = Date()
        try await p.running(p.dispatcher(rate: "500/s", pairSpacing: .zero, currentLimit: { 10 })) {
            let released = try await eventually(timeout: 10) { await accepted() == 10 }
            #expect(released)
            #expect(Date().timeIntervalSince(restartedAt) < 6)
        }
        #expect(try await p.spool.waiting(for: Spool.messagingLimitCause).isEmpty)
    }

    @Test func tiersReadAsLimits() {
        #expect(MessagingLimit(tier: "TIER_250") == .people(250))
        #expect(MessagingLimit(tier: "TIER_2K") == .people(2000))
        #expect(MessagingLimit(tier: "TIER_100K") == .people(100_000))
        #expect(MessagingLimit(tier: "TIER_UNLIMITED") == .unlimited)
        #expect(MessagingLimit(tier: "TIER_NOT_SET") == nil)
        #expect(MessagingLimit(tier: "-1") == .unlimited)
    }

    /// The account's limit is read from the phone number's fields (the sandbox serves them as Meta does) into
    /// var/account.json, where the daemon's dispatcher reads it.
    @Test func theLimitIsReadFromMeta() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var script = SandboxScript()
        script.messagingLimit = 2000
        let dir = TempDir()
        let home = dir.home
        try home.create()
        try await withSandbox(script) { port, _ in
            let client = CloudAPIClient(baseURL: "http://127.0.0.1:\(port)", version: "v23.0", phoneNumberID: "106540352242922", token: Secret("t"))
            let service = AccountRefreshService(home: home, client: client, logger: logger, now: { Date(timeIntervalSince1970: 1_790_000_000) })
            let info = await service.refreshOnce()
            #expect(info?.messagingLimit == .people(2000))
            #expect(info?.quality == "GREEN")
            let state = try #require(AccountState.load(home))
            #expect(state.messagingLimit == .people(2000))
            #expect(state.limitSource == .graph)
            #expect(state.limitAt == "2026-09-21T14:13:20.000Z")
        }
    }
}
