import Account
import EventLog
import Foundation
import Spool
import WabulkBase

/// What `wabulk status` shows, folded from the event log, the spool and the campaign records.
public struct StatusSnapshot: Codable, Sendable {
    public struct CampaignLine: Codable, Sendable {
        public var id: String
        public var name: String?
        /// scheduled, in_progress, paused, stopped (by Meta: a paused or missing template), completed, cancelled, dry run.
        public var state: String
        public var createdAt: String
        public var startedAt: String?
        public var completedAt: String?
        public var counts: CampaignCounts
        public var deliveryRate: Double
        public var readRate: Double
        public var failureRate: Double
    }
    public struct LastError: Codable, Sendable {
        public var time: String
        public var campaign: String?
        public var phone: String?
        public var code: Int?
        public var title: String?
    }

    public struct ErrorCount: Codable, Sendable {
        public var code: Int
        public var title: String
        public var count: Int
        public var last: String
    }

    public var campaigns: [CampaignLine]
    public var queue: Spool.Depth
    /// Postfix qshape: per campaign and state ("ready", "deferred", "active"), jobs by age bucket.
    public var queueShape: [String: [String: [String: Int]]]
    public var errorsLastDay: [ErrorCount]
    public var webhookSignatures: String
    public var configuredRate: String
    public var sentLastMinute: Int
    /// Meta's messaging limit: people messaged in the last 24 hours against the limit (nil: not known), and
    /// when the next person leaves the window while the limit is reached.
    public var messaging: Messaging?

    public struct Messaging: Codable, Sendable, Equatable {
        public var used: Int
        public var limit: Int?
        public var unlimited: Bool
        public var nextFreeAt: String?
    }
    public var paused: SpoolControl.Hold?
    /// Marketing sends held (Meta flagged the number's quality); others go on.
    public var marketingHeld: SpoolControl.Hold?
    public var lastError: LastError?
    /// Set when the daemon writes outbox/status.json.
    public var writtenAt: String?

    public static func take(home: HomeLayout, settings: Settings, now: Date) async -> StatusSnapshot {
        var tally = StatusTally()
        var ledger = MessageLedger()
        ledger.catchUp(logDirectory: home.log) { tally.add($0) }
        return await take(home: home, settings: settings, now: now, ledger: ledger, tally: &tally)
    }

    /// From a ledger and a tally kept up to date (the daemon's status file reads only what is new).
    public static func take(home: HomeLayout, settings: Settings, now: Date, ledger: MessageLedger, tally: inout StatusTally) async -> StatusSnapshot
    {
        tally.prune(now: now)
        let control = SpoolControl.load(spool: home.spool)
        let depth = await Spool(directory: home.spool).depth()
        var lines: [CampaignLine] = []
        var countsByCampaign: [String: CampaignCounts] = [:]
        ledger.forEach(texts: false) { m in countsByCampaign[m.campaign ?? "", default: CampaignCounts()].add(m) }
        let started = tally.started
        let lastEvent = tally.lastEvent
        for record in CampaignRecord.loadAll(in: home.campaigns) {
            let counts = countsByCampaign[record.id] ?? CampaignCounts()
            let state: String
            if record.phase == .dryRun {
                state = "dry run"
            } else if record.phase == .cancelled {
                state = "cancelled"
            } else if let hold = control.campaignHolds[record.id] {
                state = hold.cause.isPause ? "paused" : "stopped"
            } else if record.phase == .planning {
                state = "planning"
            } else if counts.pending == 0 {
                state = "completed"
            } else if let start = record.manifest.startAt.flatMap(Timestamp.parse), start > now {
                state = "scheduled"
            } else {
                state = "in_progress"
            }
            lines.append(
                CampaignLine(
                    id: record.id,
                    name: record.manifest.name,
                    state: state,
                    createdAt: record.createdAt,
                    startedAt: started[record.id],
                    completedAt: state == "completed" ? lastEvent[record.id] : nil,
                    counts: counts,
                    deliveryRate: counts.deliveryRate,
                    readRate: counts.readRate,
                    failureRate: counts.failureRate
                )
            )
        }
        let sentLastMinute = tally.recentSends.count
        let limit = settings.messagingLimit ?? AccountState.load(home)?.messagingLimit
        var messaging = Messaging(used: tally.reached.used, limit: limit?.people, unlimited: limit == .unlimited, nextFreeAt: nil)
        if let people = limit?.people, tally.reached.used >= people { messaging.nextFreeAt = Timestamp.format(tally.reached.nextFree(now: now)) }
        let last = tally.lastError
        var errors: [Int: ErrorCount] = [:]
        for e in tally.recentErrors {
            var entry = errors[e.code] ?? ErrorCount(code: e.code, title: e.title, count: 0, last: e.time)
            entry.count += 1
            entry.last = max(entry.last, e.time)
            errors[e.code] = entry
        }
        let signatures =
            Credentials.fromEnvironment().appSecret != nil
            ? "verified"
            : settings.insecureWebhooks ? "NOT VERIFIED (insecureWebhooks is on)" : "no app secret: the listener will not start"
        return StatusSnapshot(
            campaigns: lines,
            queue: depth,
            queueShape: shape(spool: home.spool, now: now),
            errorsLastDay: errors.values.sorted { $0.count > $1.count },
            webhookSignatures: signatures,
            configuredRate: settings.rate.description,
            sentLastMinute: sentLastMinute,
            messaging: messaging,
            paused: control.queueHold,
            marketingHeld: control.marketingHold,
            lastError: last.map {
                LastError(time: $0.time, campaign: $0.campaign, phone: $0.phone, code: $0.errorCode, title: $0.errorTitle ?? $0.reason)
            }
        )
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

    public var text: String {
        var out: [String] = []
        if let paused { out.append("SENDING PAUSED since \(paused.since): \(paused.reason) — fix it, then run `wabulk resume`") }
        if let held = marketingHeld {
            out.append("MARKETING HELD since \(held.since): \(held.reason) — `wabulk resume` sends it anyway")
        }
        out.append(
            "queue: \(queue.ready) ready, \(queue.deferred) deferred, \(queue.active) in flight; rate \(configuredRate), \(sentLastMinute) sent in the last minute"
        )
        if let m = messaging {
            let of = m.unlimited ? "no limit" : m.limit.map { "a limit of \($0)" } ?? "limit not known"
            out.append(
                "messaging limit: \(m.used) people messaged in the last 24 hours, \(of)"
                    + (m.nextFreeAt.map { "; reached, next free at \($0)" } ?? "")
            )
        }
        if campaigns.isEmpty { out.append("no campaigns yet") }
        for c in campaigns {
            let n = c.counts
            out.append(
                "\(c.id) [\(c.state)] total \(n.total): sent \(n.sent), delivered \(n.delivered), read \(n.read), failed \(n.failed), skipped \(n.skipped), waiting \(n.pending)"
                    + String(format: " — delivery %.1f%%, read %.1f%%, failure %.1f%%", c.deliveryRate * 100, c.readRate * 100, c.failureRate * 100)
            )
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
