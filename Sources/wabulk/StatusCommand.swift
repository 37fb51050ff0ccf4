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
        /// scheduled, in_progress, paused, stopped (by Meta: a paused or missing template), completed, cancelled, dry run.
        var state: String
        var createdAt: String
        var startedAt: String?
        var completedAt: String?
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

    struct ErrorCount: Codable {
        var code: Int
        var title: String
        var count: Int
        var last: String
    }

    var campaigns: [CampaignLine]
    var queue: Spool.Depth
    /// Postfix qshape: per campaign and state ("ready", "deferred", "active"), jobs by age bucket.
    var queueShape: [String: [String: [String: Int]]]
    var errorsLastDay: [ErrorCount]
    var webhookSignatures: String
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
        var started: [String: String] = [:], lastEvent: [String: String] = [:]
        for e in events where e.kind == .status {
            guard let c = e.campaign else { continue }
            if e.status == .sending, started[c] == nil { started[c] = e.time }
            lastEvent[c] = max(lastEvent[c] ?? e.time, e.time)
        }
        for record in CampaignRecord.loadAll(in: home.campaigns) {
            let counts = CampaignCounts(ledger.records(campaign: record.id))
            let state: String
            if record.phase == .dryRun { state = "dry run" }
            else if record.phase == .cancelled { state = "cancelled" }
            else if let hold = control.campaignHolds[record.id] { state = hold.reason.hasPrefix("paused") ? "paused" : "stopped" }
            else if record.phase == .planning { state = "planning" }
            else if counts.pending == 0 { state = "completed" }
            else if let start = record.manifest.startAt.flatMap(Timestamp.parse), start > now { state = "scheduled" }
            else { state = "in_progress" }
            lines.append(CampaignLine(id: record.id, name: record.manifest.name, state: state, createdAt: record.createdAt,
                                      startedAt: started[record.id], completedAt: state == "completed" ? lastEvent[record.id] : nil, counts: counts,
                                      deliveryRate: counts.deliveryRate, readRate: counts.readRate, failureRate: counts.failureRate))
        }
        let minuteAgo = Timestamp.format(now.addingTimeInterval(-60))
        let sentLastMinute = events.filter { $0.status == .sent && $0.source == "dispatch" && $0.time >= minuteAgo }.count
        let last = events.last { ($0.status == .failed || $0.status == .deferred) && $0.errorCode != nil || $0.status == .failed }
        let dayAgo = Timestamp.format(now.addingTimeInterval(-86_400))
        var errors: [Int: ErrorCount] = [:]
        for e in events where (e.status == .failed || e.status == .deferred) && e.time >= dayAgo {
            guard let code = e.errorCode else { continue }
            var entry = errors[code] ?? ErrorCount(code: code, title: e.errorTitle ?? "", count: 0, last: e.time)
            entry.count += 1
            entry.last = max(entry.last, e.time)
            errors[code] = entry
        }
        let signatures = Credentials.fromEnvironment().appSecret != nil ? "verified"
            : settings.insecureWebhooks ? "NOT VERIFIED (insecureWebhooks is on)" : "no app secret: the listener will not start"
        return StatusSnapshot(campaigns: lines, queue: depth, queueShape: shape(spool: home.spool, now: now),
                              errorsLastDay: errors.values.sorted { $0.count > $1.count },
                              webhookSignatures: signatures,
                              configuredRate: settings.rate.description, sentLastMinute: sentLastMinute,
                              paused: control.queueHold,
                              lastError: last.map { LastError(time: $0.time, campaign: $0.campaign, phone: $0.phone, code: $0.errorCode, title: $0.errorTitle ?? $0.reason) })
    }

    static let buckets = [(5, "0-5m"), (10, "5-10m"), (20, "10-20m"), (40, "20-40m"), (80, "40-80m"), (160, "80-160m"), (Int.max, "160m+")]

    /// Jobs by campaign, state and age (minutes since the job last changed state).
    static func shape(spool: URL, now: Date) -> [String: [String: [String: Int]]] {
        var result: [String: [String: [String: Int]]] = [:]
        for (campaign, state, seconds) in Spool.ages(in: spool, now: now) {
            let bucket = buckets.first { Int(seconds / 60) < $0.0 }!.1
            result[campaign, default: [:]][state.rawValue, default: [:]][bucket, default: 0] += 1
        }
        return result
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
        if !queueShape.isEmpty {
            let header = ["campaign", "state", "total"] + Self.buckets.map(\.1)
            out.append("")
            out.append(header.map { $0.padding(toLength: max(8, $0.count + 1), withPad: " ", startingAt: 0) }.joined())
            for (campaign, states) in queueShape.sorted(by: { $0.key < $1.key }) {
                for (state, counts) in states.sorted(by: { $0.key < $1.key }) {
                    let row = [campaign, state, String(counts.values.reduce(0, +))] + Self.buckets.map { String(counts[$0.1] ?? 0) }
                    out.append(zip(row, header).map { $0.padding(toLength: max(8, $1.count + 1), withPad: " ", startingAt: 0) }.joined())
                }
            }
        }
        if !errorsLastDay.isEmpty {
            out.append("")
            out.append("errors in the last 24 h:")
            for e in errorsLastDay { out.append("  (#\(e.code)) \(e.title): \(e.count), last \(e.last)") }
        }
        out.append("webhook signatures: \(webhookSignatures)")
        if let e = lastError { out.append("last error: \(e.time) \(e.phone ?? "") \(e.code.map { "(#\($0)) " } ?? "")\(e.title ?? "")") }
        return out.joined(separator: "\n")
    }
}
