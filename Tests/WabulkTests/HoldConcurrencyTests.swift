import Foundation
import Spool
import Testing
import WabulkBase

@testable import Campaigns

/// Holds changed by several processes at once, through the CLI (each change its own transaction, as the
/// daemon's are): none is lost.
@Suite struct HoldConcurrencyTests {
    static func makeCampaigns(_ ids: [String], home: HomeLayout) throws {
        try home.create()
        for id in ids {
            let manifest = try ManifestReader.read(
                Data(#"{"id": "\#(id)", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}}"#.utf8),
                fileName: "\(id).json"
            )
            try CampaignRecord(
                manifest: manifest,
                phase: .spooled,
                createdAt: "2026-12-05T08:00:00.000Z",
                sourceFile: "\(id).json",
                queued: 0,
                skipped: [:]
            ).save(in: home.campaigns)
        }
    }

    @Test func threeProcessesChangingTwoHundredHoldsEachLoseNone() async throws {
        let dir = TempDir()
        let home = HomeLayout(root: dir.url.appendingPathComponent("home"))
        let ids = (0..<3).map { p in (0..<200).map { "c\(p)-\($0)" } }
        try Self.makeCampaigns(ids.flatMap { $0 }, home: home)
        var environment = ProcessInfo.processInfo.environment
        environment["WABULK_HOME"] = home.root.path
        let env = environment
        @Sendable func all(_ action: String, _ lists: [[String]]) async throws {
            try await withThrowingTaskGroup(of: ProcessResult.self) { group in
                for list in lists { group.addTask { try await runProcess(wabulkBinary, ["campaign", action] + list, environment: env) } }
                for try await r in group { #expect(r.status == 0, "\(r.stderr)") }
            }
        }
        try await all("pause", ids)
        #expect(SpoolControl.load(spool: home.spool).campaignHolds.count == 600)
        // At once: each process lifts every other hold of its own and pauses nothing new.
        try await all("resume", ids.map { list in list.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) })
        let left = SpoolControl.load(spool: home.spool).campaignHolds
        #expect(left.count == 300)
        #expect(Set(left.keys) == Set(ids.flatMap { list in list.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) }))
        #expect(left.values.allSatisfy { $0.reason == "paused by operator" })
    }

    /// A hold store that cannot be read: `wabulk status` says sending is paused and why.
    @Test func aCorruptHoldStoreShowsAsPausedInStatus() async throws {
        let dir = TempDir()
        let home = HomeLayout(root: dir.url.appendingPathComponent("home"))
        try home.create()
        try Data(repeating: 0x42, count: 8192).write(to: Spool.databaseFile(in: home.spool))
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = home.root.path
        let status = try await runProcess(wabulkBinary, ["status"], environment: env)
        #expect(status.stdout.contains("the holds in var/spool/jobs.sqlite could not be read"), "\(status.stdout)\(status.stderr)")
    }
}
