import Foundation
import Testing

@testable import Spool

@Suite struct SpoolTests {
    func job(_ campaign: String, _ n: Int, notBefore: Date? = nil) -> SpoolJob {
        SpoolJob(
            campaign: campaign,
            sequence: n,
            phone: "+91987654\(String(format: "%04d", n))",
            name: "N\(n)",
            template: .init(name: "t", language: "en_US", body: ["x"]),
            notBefore: notBefore
        )
    }

    @Test func jobsMoveBetweenStatesByRename() async throws {
        let dir = TempDir()
        let spool = Spool(directory: dir.url)
        try await spool.enqueue([job("a", 1), job("a", 2)])
        #expect(await spool.depth() == Spool.Depth(ready: 2, deferred: 0, active: 0))
        let first = try #require(try await spool.claimNext(now: Date()))
        #expect(first.id == "a.0000001")
        #expect(await spool.depth() == Spool.Depth(ready: 1, deferred: 0, active: 1))
        var retry = first
        retry.attempt = 1
        retry.notBefore = Date().addingTimeInterval(3600)
        try await spool.requeue(retry)
        #expect(await spool.depth() == Spool.Depth(ready: 1, deferred: 1, active: 0))
        let second = try #require(try await spool.claimNext(now: Date()))
        #expect(second.id == "a.0000002")
        try await spool.complete(second)
        #expect(try await spool.claimNext(now: Date()) == nil)  // the retry is not due yet
        let due = try #require(try await spool.claimNext(now: Date().addingTimeInterval(3601)))
        #expect(due.attempt == 1)
        #expect(await spool.depth() == Spool.Depth(ready: 0, deferred: 0, active: 1))
    }

    @Test func campaignsTakeTurns() async throws {
        let dir = TempDir()
        let spool = Spool(directory: dir.url)
        try await spool.enqueue((1...3).map { job("a", $0) } + (1...3).map { job("b", $0) })
        var order: [String] = []
        while let j = try await spool.claimNext(now: Date()) {
            order.append(j.id)
            try await spool.complete(j)
        }
        #expect(order == ["a.0000001", "b.0000001", "a.0000002", "b.0000002", "a.0000003", "b.0000003"])
    }

    @Test func enqueueIsIdempotentAndAnotherSpoolInstanceSeesTheJobs() async throws {
        let dir = TempDir()
        try await Spool(directory: dir.url).enqueue([job("a", 1), job("a", 2)])
        let reopened = Spool(directory: dir.url)
        try await reopened.enqueue([job("a", 1), job("a", 2), job("a", 3)])
        #expect(await reopened.depth().ready == 3)
        let claimed = try #require(try await reopened.claimNext(now: Date()))
        // A restart finds the in-flight job in active/.
        let restarted = Spool(directory: dir.url)
        #expect(try await restarted.inFlightAtStartup().map(\.id) == [claimed.id])
    }

    @Test func heldCampaignsAreSkippedAndCancelRemovesWaitingJobs() async throws {
        let dir = TempDir()
        let spool = Spool(directory: dir.url)
        try await spool.enqueue([job("a", 1), job("b", 1), job("b", 2)])
        #expect(try await spool.claimNext(now: Date(), excluding: ["a"])?.campaign == "b")
        let removed = try Spool.cancelWaiting(in: dir.url, campaign: "b")
        #expect(removed == ["b.0000002"])
        #expect(try await spool.claimNext(now: Date(), excluding: ["a"]) == nil)  // the claim notices the row is gone
        #expect(await spool.depth(campaign: "b") == Spool.Depth(ready: 0, deferred: 0, active: 1))
    }

    @Test func sendWindowOpensAtTheNextFromTimeInItsZone() {
        let window = SendWindowSchedule(from: "09:00", to: "20:00", timezone: "Asia/Kolkata")!
        // 2026-11-28 21:30 in Kolkata = 16:00 UTC: next opening is 2026-11-29 09:00 IST = 03:30 UTC.
        let late = ISO8601DateFormatter().date(from: "2026-11-28T16:00:00Z")!
        #expect(window.nextOpening(atOrAfter: late) == ISO8601DateFormatter().date(from: "2026-11-29T03:30:00Z")!)
        let inside = ISO8601DateFormatter().date(from: "2026-11-28T05:00:00Z")!  // 10:30 IST
        #expect(window.nextOpening(atOrAfter: inside) == inside)
    }
}
