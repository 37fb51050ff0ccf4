import EventLog
import Foundation
import Sandbox
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
        #expect(freeAt.timeIntervalSince(start) > 86_399 && freeAt.timeIntervalSince(start) < 86_430)
        #expect(deferred.allSatisfy { $0.attempt == 0 })
    }
}
