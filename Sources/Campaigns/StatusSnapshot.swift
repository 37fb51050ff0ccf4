import Account
import CloudAPI
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
        /// Why it is paused or stopped, and since when (nil: not held).
        public var hold: SpoolControl.Hold?
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
        /// Meta's error in plain words, and what wabulk does about it (MetaErrorCatalog).
        public var explanation: String?
        public var action: String?
    }

    /// Messages waiting for something other than their turn, by why.
    public struct WaitingReason: Codable, Sendable, Equatable {
        public var why: String
        public var count: Int
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
    /// Sends per hour over the last 24 hours, oldest first (the last is the hour now running).
    public var sentByHour: [Int]?
    /// Start of the first of those hours.
    public var hoursFrom: String?
    public var optOutsLastDay: Int?
    /// Deferred messages by why (Meta's error, the messaging limit, the send window …), most first.
    public var waiting: [WaitingReason]?
    /// The newest workbooks in outbox/reports/ (file names), newest first.
    public var latestReports: [String]?
    /// "running", or "stopped" when the daemon wrote this on its way out.
    public var daemon: String?
    public var paused: SpoolControl.Hold?
    /// Marketing sends held (Meta flagged the number's quality); others go on.
    public var marketingHeld: SpoolControl.Hold?
    public var lastError: LastError?
    /// Set when the daemon writes outbox/status.json.
    public var writtenAt: String?
    /// Whether Meta's webhooks arrive: each field's last arrival and what looks wrong.
    public var webhooks: Webhooks?

    public struct Webhooks: Codable, Sendable, Equatable {
        /// Webhook field (as Meta names it) → when it last arrived; a field never seen is absent.
        public var lastArrival: [String: String]
        /// When the last status webhook arrived (nil: none known).
        public var lastStatusAt: String?
        /// Messages the dispatcher sent after the last status webhook.
        public var unansweredSends: Int
        /// What looks wrong, in plain words with the next step.
        public var warnings: [String]
    }

    /// Which campaigns a snapshot shows: those of the status's window (`wabulk status`, the status page),
    /// every one (`wabulk campaign list`: reads the whole log), or one (`wabulk campaign show`: its own days).
    public enum Campaigns: Sendable, Equatable {
        case window
        case all
        case only(String)
    }

    public static func take(home: HomeLayout, settings: Settings, now: Date, campaigns: Campaigns = .window) async -> StatusSnapshot {
        var tally = StatusTally()
        var ledger = MessageLedger()
        let selection: LogSelection
        switch campaigns {
        case .window: selection = logSelection(home: home, now: now)
        case .all: selection = .all(in: home.log)
        case .only(let id): selection = .forReport(in: home.log, campaign: id, from: nil, to: nil)
        }
        ledger.catchUp(selection: selection) { tally.add($0) }
        return await take(home: home, settings: settings, now: now, ledger: ledger, tally: &tally, campaigns: campaigns)
    }

    /// Campaigns the status shows: those with a line in the log in the last 7 days, created in them, or
    /// still in the spool. Older ones are in reports; the status reads no more of the log than they need.
    public static let window: TimeInterval = 7 * 86_400

    /// The log the status folds: the window's days, and of earlier days the lines of campaigns in it or
    /// still in the spool.
    public static func logSelection(home: HomeLayout, now: Date) -> LogSelection {
        .recent(in: home.log, since: now.addingTimeInterval(-window), also: Spool.campaignsWithJobs(in: home.spool))
    }

    /// From a ledger and a tally kept up to date (the daemon's status file reads only what is new).
    public static func take(
        home: HomeLayout,
        settings: Settings,
        now: Date,
        ledger: MessageLedger,
        tally: inout StatusTally,
        campaigns shown: Campaigns = .window
    ) async -> StatusSnapshot {
        tally.prune(now: now)
        let control = SpoolControl.load(spool: home.spool)
        let depth = await Spool(directory: home.spool).depth()
        var lines: [CampaignLine] = []
        var countsByCampaign: [String: CampaignCounts] = [:]
        var waitingWhy: [String: Int] = [:]
        // Why messages wait, without reading any text back (a million waiting would be a million reads every
        // 30 s): Meta's code from the fold, the messaging limit from the spool, the rest waiting for their time.
        var byCode = 0
        ledger.forEach(texts: false) { m in
            countsByCampaign[m.campaign ?? "", default: CampaignCounts()].add(m)
            guard m.status == .deferred, let code = m.errorCode else { return }
            waitingWhy["(#\(code)) \(MetaErrorCatalog.entry(for: code).title)", default: 0] += 1
            byCode += 1
        }
        let forLimit = Spool.waitingCount(for: Spool.messagingLimitCause, in: home.spool)
        if forLimit > 0 { waitingWhy["Meta's messaging limit reached"] = forLimit }
        let started = tally.started
        let lastEvent = tally.lastEvent
        let windowStart = now.addingTimeInterval(-window)
        // Outside the window, only campaigns the fold holds can show: other records are not even read (a day's
        // margin for a clock that stepped between writing a record and dating it).
        let records =
            if case .window = shown {
                CampaignRecord.loadAll(in: home.campaigns, ids: Set(countsByCampaign.keys), changedSince: windowStart.addingTimeInterval(-86_400))
            } else {
                CampaignRecord.loadAll(in: home.campaigns)
            }
        for record in records {
            switch shown {
            case .all: break
            case .only(let id): guard record.id == id else { continue }
            case .window:
                guard countsByCampaign[record.id] != nil || (Timestamp.parse(record.createdAt).map { $0 >= windowStart } ?? true) else { continue }
            }
            let counts = countsByCampaign[record.id] ?? CampaignCounts()
            let state: String
            if record.phase == .dryRun {
                state = "dry run"
            } else if record.phase == .recurring {
                state = "recurring"
            } else if record.phase == .greeting {
                state = "greeting new contacts"
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
                    failureRate: counts.failureRate,
                    hold: control.campaignHolds[record.id]
                )
            )
        }
        let rest = depth.deferred - byCode - forLimit
        if rest > 0 { waitingWhy["waiting for their time (a retry, the send window, the start time)"] = rest }
        let sentLastMinute = tally.recentSends.count
        let limit = settings.messagingLimit ?? AccountState.load(home)?.messagingLimit
        var messaging = Messaging(used: tally.reached.used, limit: limit?.people, unlimited: limit == .unlimited, nextFreeAt: nil)
        if let people = limit?.people, tally.reached.used >= people { messaging.nextFreeAt = Timestamp.format(tally.reached.nextFree(now: now)) }
        let last = tally.lastError
        var errors: [Int: ErrorCount] = [:]
        for e in tally.recentErrors {
            let known = MetaErrorCatalog.entry(for: e.code)
            var entry =
                errors[e.code]
                ?? ErrorCount(
                    code: e.code,
                    title: e.title,
                    count: 0,
                    last: e.time,
                    explanation: known.explanation,
                    action: Self.words(for: known.action)
                )
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
            sentByHour: Self.hours(tally.sentByHour, now: now),
            hoursFrom: Timestamp.format(Self.hourStart(now.addingTimeInterval(-23 * 3600))),
            optOutsLastDay: tally.recentOptOuts.count,
            waiting: waitingWhy.map { WaitingReason(why: $0.key, count: $0.value) }.sorted { ($0.count, $1.why) > ($1.count, $0.why) },
            latestReports: Self.latestReports(home.reports),
            daemon: "running",
            paused: control.queueHold,
            marketingHeld: control.marketingHold,
            lastError: last.map {
                LastError(time: $0.time, campaign: $0.campaign, phone: $0.phone, code: $0.errorCode, title: $0.errorTitle ?? $0.reason)
            },
            webhooks: webhooks(home: home, settings: settings, tally: tally, now: now)
        )
    }

    /// Sends unanswered by any status webhook for longer than `webhookSilenceMinutes` (Meta answers within
    /// seconds: the app's `messages` subscription, its callback URL or the listener is broken), and fields
    /// never seen once sending has gone on for a day (a hint: the app may not subscribe to them).
    static func webhooks(home: HomeLayout, settings: Settings, tally: StatusTally, now: Date) -> Webhooks {
        let arrivals = WebhookArrivals.load(WebhookArrivals.file(in: home))
        let lastStatus = [tally.lastWebhookStatus, arrivals.statuses].compactMap { $0 }.max()
        var warnings: [String] = []
        let silence = settings.webhookSilenceMinutes * 60
        if tally.unansweredSends > 0, let oldest = tally.oldestUnanswered, let sent = Timestamp.parse(oldest),
            now.timeIntervalSince(sent) >= silence
        {
            warnings.append(
                "no status webhook for the \(tally.unansweredSends) messages sent since \(oldest); the last status webhook arrived "
                    + (lastStatus.map { "at \($0)" } ?? "never")
                    + ": Meta is not posting statuses to wabulk — check that the app subscribes to the `messages` field and that its callback URL reaches the listener (`wabulk doctor`)"
            )
        }
        if let first = tally.firstSend.flatMap(Timestamp.parse), now.timeIntervalSince(first) >= 86_400 {
            for field in [WebhookField.userPreferences, .templateStatus] where arrivals.fields[field.rawValue] == nil {
                warnings.append(
                    "no `\(field.rawValue)` webhook has arrived since sending began (\(Timestamp.format(first))): if the app does not subscribe to it, \(field.why) — check with `wabulk doctor`"
                )
            }
        }
        return Webhooks(lastArrival: arrivals.fields, lastStatusAt: lastStatus, unansweredSends: tally.unansweredSends, warnings: warnings)
    }

    /// What wabulk does about a Meta error, for staff.
    static func words(for action: ErrorAction) -> String {
        switch action {
        case .retry: "tried again later"
        case .slowDown: "tried again later, and sending slows down"
        case .slowDownRecipient: "tried again later for that person only"
        case .retryAfterADay: "tried again after a day"
        case .stopQueue: "all sending paused until `wabulk resume`"
        case .stopCampaign: "the campaign stopped until it is resumed"
        case .fail: "not tried again"
        }
    }

    static func hourStart(_ date: Date) -> Date { Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600) }

    /// The 24 hours up to now, oldest first.
    static func hours(_ byHour: [String: Int], now: Date) -> [Int] {
        (0..<24).map { i in byHour[String(Timestamp.format(now.addingTimeInterval(Double(i - 23) * 3600)).prefix(13))] ?? 0 }
    }

    static func latestReports(_ directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        // Named from their time, so the name sorts by age.
        return Array(names.filter { $0.hasSuffix(".xlsx") && !$0.hasPrefix(".") }.sorted(by: >).prefix(5))
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
        for warning in webhooks?.warnings ?? [] { out.append("WEBHOOKS: \(warning)") }
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
        if let w = webhooks { out.append("last status webhook: \(w.lastStatusAt ?? "none yet")") }
        if let e = lastError { out.append("last error: \(e.time) \(e.phone ?? "") \(e.code.map { "(#\($0)) " } ?? "")\(e.title ?? "")") }
        return out.joined(separator: "\n")
    }
}
