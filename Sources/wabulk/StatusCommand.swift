import ArgumentParser
import Campaigns
import EventLog
import Foundation
import Spool
import WabulkBase

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show campaigns with their counts, the queue, the current rate and the last error.")

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() async throws {
        let home = HomeLayout.resolve(option: homeOptions.home)
        let settings = try Settings.load(file: home.configurationFile)
        let snapshot = await StatusSnapshot.take(home: home, settings: settings, now: Date())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(snapshot), as: UTF8.self))
        } else {
            print(snapshot.text)
        }
    }
}

/// What `wabulk status` shows, folded from the event log, the spool and the campaign records.
struct StatusSnapshot: Codable {
    struct CampaignLine: Codable {
        var id: String
        var name: String?
        var state: String
        var counts: CampaignCounts
        var deliveryRate: Double
        var readRate: Double
        var failureRate: Double
    }
    struct LastError: Codable {
        var time: String
        var campaign: String?
        var phone: String?
        var code: Int?
        var title: String?
    }

    var campaigns: [CampaignLine]
    var queue: Spool.Depth
    var configuredRate: String
    var sentLastMinute: Int
    var paused: SpoolControl.Hold?
    var lastError: LastError?

    static func take(home: HomeLayout, settings: Settings, now: Date) async -> StatusSnapshot {
        let events = EventLogReader(directory: home.log).readAll().events
        let ledger = MessageLedger(events: events)
        let control = SpoolControl.load(spool: home.spool)
        let depth = await Spool(directory: home.spool).depth()
        var lines: [CampaignLine] = []
        for record in CampaignRecord.loadAll(in: home.campaigns) {
            let counts = CampaignCounts(ledger.records(campaign: record.id))
            let state: String
            if record.phase == .dryRun { state = "dry run" }
            else if record.phase == .cancelled { state = "cancelled" }
            else if control.campaignHolds[record.id] != nil { state = "stopped" }
            else if record.phase == .planning { state = "planning" }
            else if counts.pending == 0 { state = "completed" }
            else if let start = record.manifest.startAt.flatMap(Timestamp.parse), start > now { state = "scheduled" }
            else { state = "in_progress" }
            lines.append(CampaignLine(id: record.id, name: record.manifest.name, state: state, counts: counts,
                                      deliveryRate: counts.deliveryRate, readRate: counts.readRate, failureRate: counts.failureRate))
        }
        let minuteAgo = Timestamp.format(now.addingTimeInterval(-60))
        let sentLastMinute = events.filter { $0.status == .sent && $0.source == "dispatch" && $0.time >= minuteAgo }.count
        let last = events.last { ($0.status == .failed || $0.status == .deferred) && $0.errorCode != nil || $0.status == .failed }
        return StatusSnapshot(campaigns: lines, queue: depth, configuredRate: settings.rate.description, sentLastMinute: sentLastMinute,
                              paused: control.queueHold,
                              lastError: last.map { LastError(time: $0.time, campaign: $0.campaign, phone: $0.phone, code: $0.errorCode, title: $0.errorTitle ?? $0.reason) })
    }

    var text: String {
        var out: [String] = []
        if let paused { out.append("SENDING PAUSED since \(paused.since): \(paused.reason) — fix it, then run `wabulk resume`") }
        out.append("queue: \(queue.ready) ready, \(queue.deferred) deferred, \(queue.active) in flight; rate \(configuredRate), \(sentLastMinute) sent in the last minute")
        if campaigns.isEmpty { out.append("no campaigns yet") }
        for c in campaigns {
            let n = c.counts
            out.append("\(c.id) [\(c.state)] total \(n.total): sent \(n.sent), delivered \(n.delivered), read \(n.read), failed \(n.failed), skipped \(n.skipped), waiting \(n.pending)"
                + String(format: " — delivery %.1f%%, read %.1f%%, failure %.1f%%", c.deliveryRate * 100, c.readRate * 100, c.failureRate * 100))
        }
        if let e = lastError { out.append("last error: \(e.time) \(e.phone ?? "") \(e.code.map { "(#\($0)) " } ?? "")\(e.title ?? "")") }
        return out.joined(separator: "\n")
    }
}
