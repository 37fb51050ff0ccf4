import Campaigns
import EventLog
import Foundation
import Spool
import Testing

/// The dispatcher's last check, with the real dispatcher and sandbox: a job for a suppressed number that
/// reached the spool anyway (not through the planner, or claimed before the opt-out) is never sent.
@Suite struct SuppressionDispatchTests {
    typealias Pipeline = CampaignFlowTests.Pipeline

    static func job(_ p: Pipeline, _ n: Int, phone: String, category: String?) -> SpoolJob {
        SpoolJob(
            campaign: "direct",
            sequence: n,
            phone: phone,
            name: "N\(n)",
            template: .init(name: "t", language: "en", body: ["x"], category: category)
        )
    }

    @Test func aJobThatSlippedPastTheSuppressionIsSkippedAtTheLastCheck() async throws {
        let p = try Pipeline(contacts: 3)
        let stopped = "+919876500002"
        let marketingOnly = "+919876500003"
        try Spool.suppress(
            [
                Suppression(phone: stopped, scope: .all, source: "operator"),
                Suppression(phone: marketingOnly, scope: .marketing, source: "meta-131050"),
            ],
            in: p.home.spool
        )
        // Spooled after the suppressions, as a planner racing an opt-out would.
        try await p.spool.enqueue([
            Self.job(p, 1, phone: "+919876500001", category: "MARKETING"),
            Self.job(p, 2, phone: stopped, category: "UTILITY"),
            Self.job(p, 3, phone: marketingOnly, category: "MARKETING"),
            Self.job(p, 4, phone: marketingOnly, category: nil),
            Self.job(p, 5, phone: marketingOnly, category: "UTILITY"),
        ])
        try await p.running(p.dispatcher(rate: "20/s", pairSpacing: .zero)) {
            let drained = try await eventually { Spool.depth(in: p.home.spool).total == 0 }
            #expect(drained)
        }
        let sent = await p.sandbox.records().map { $0.callbackData ?? "" }.sorted()
        #expect(sent == ["direct.0000001", "direct.0000005"])
        let records = Dictionary(uniqueKeysWithValues: p.ledger().records(campaign: "direct").map { ($0.job, $0) })
        #expect(records["direct.0000002"]?.status == .skipped)
        #expect(records["direct.0000002"]?.reason == "opted out (operator)")
        #expect(records["direct.0000003"]?.reason == "opted out of marketing (meta-131050)")
        #expect(records["direct.0000004"]?.status == .skipped)  // unknown category: treated as marketing
        #expect(records["direct.0000005"]?.status == .sent)
    }

    @Test func aJobInFlightWhenTheOptOutIsRecordedIsReportedAndStoppedWhenItComesBack() async throws {
        let p = try Pipeline(contacts: 2)
        try await p.spool.enqueue([
            Self.job(p, 1, phone: "+919876500001", category: "MARKETING"),
            Self.job(p, 2, phone: "+919876500002", category: "MARKETING"),
        ])
        // Claimed, as a worker waiting for its slot holds it: in flight, where no drop can reach it.
        let first = try #require(try await p.spool.claimNext(now: Date()))
        let second = try #require(try await p.spool.claimNext(now: Date()))
        #expect(second.id == "direct.0000002")
        let outcome = try Spool.suppress([Suppression(phone: "+919876500002", scope: .all, source: "operator")], in: p.home.spool)
        #expect(outcome.dropped.isEmpty)
        #expect(outcome.inFlight.map(\.id) == ["direct.0000002"])
        // Both go back in line (a stop before their requests left); the last check stops the second.
        try await p.spool.release(first)
        try await p.spool.release(second)
        try await p.running(p.dispatcher(rate: "20/s", pairSpacing: .zero)) {
            let drained = try await eventually { Spool.depth(in: p.home.spool).total == 0 }
            #expect(drained)
        }
        #expect(await p.sandbox.records().map(\.to) == ["+919876500001"])
        #expect(p.ledger().records(campaign: "direct").first { $0.job == "direct.0000002" }?.reason == "opted out (operator)")
    }
}
