import EventLog
import Foundation
import WabulkBase

/// The parts of `wabulk status` that need single events rather than each message's final state: when each
/// campaign started and last moved, sends in the last minute, errors in the last day and the latest one.
/// Fed incrementally, and pruned as time passes, so the daemon's status file does not keep every event.
public struct StatusTally: Sendable {
    var started: [String: String] = [:]
    var lastEvent: [String: String] = [:]
    /// Times of sends, newest last; only the last minute's are kept.
    var recentSends: [String] = []
    /// Errors with a code, newest last; only the last day's are kept.
    var recentErrors: [(time: String, code: Int, title: String)] = []
    var lastError: MessageEvent?
    /// The people messaged in the last 24 hours, for the messaging limit's line.
    var reached = MessagingBudget(limit: nil)
    /// Sends by UTC hour ("2026-12-05T11"), the last day's only: the status page's timeline.
    var sentByHour: [String: Int] = [:]
    /// Times of opt-outs, the last day's only.
    var recentOptOuts: [String] = []
    /// When a status webhook last arrived (wabulk's time on its line), and the dispatcher's sends since, with
    /// the oldest: Meta answers a send with a `sent` status within seconds, so a send long unanswered means
    /// status webhooks are not arriving.
    /// The oldest dispatcher send the status has seen (its window's).
    var firstSend: String?
    var lastWebhookStatus: String?
    var unansweredSends = 0
    var oldestUnanswered: String?

    public init() {}

    public mutating func add(_ e: MessageEvent) {
        if e.kind == .optOut { recentOptOuts.append(e.time) }
        guard e.kind == .status else { return }
        if let c = e.campaign {
            if e.status == .sending, started[c] == nil { started[c] = e.time }
            lastEvent[c] = max(lastEvent[c] ?? e.time, e.time)
        }
        if e.origin == .webhook {
            lastWebhookStatus = max(lastWebhookStatus ?? e.time, e.time)
            unansweredSends = 0
            oldestUnanswered = nil
        }
        if e.status == .sent && e.origin == .dispatch {
            if firstSend == nil { firstSend = e.time }
            unansweredSends += 1
            if oldestUnanswered == nil { oldestUnanswered = e.time }
            recentSends.append(e.time)
            sentByHour[String(e.time.prefix(13)), default: 0] += 1
            if let phone = e.phone, let at = e.date { reached.record(phone, at: at) }
        }
        if (e.status == .failed || e.status == .deferred) && e.errorCode != nil || e.status == .failed { lastError = e }
        if e.status == .failed || e.status == .deferred, let code = e.errorCode {
            recentErrors.append((e.time, code, e.errorTitle ?? ""))
        }
    }

    /// Forgets what has left the windows the status shows.
    mutating func prune(now: Date) {
        let minuteAgo = Timestamp.format(now.addingTimeInterval(-60))
        let dayAgo = Timestamp.format(now.addingTimeInterval(-86_400))
        recentSends.removeAll { $0 < minuteAgo }
        recentErrors.removeAll { $0.time < dayAgo }
        recentOptOuts.removeAll { $0 < dayAgo }
        let firstHour = String(Timestamp.format(now.addingTimeInterval(-23 * 3600)).prefix(13))
        sentByHour = sentByHour.filter { $0.key >= firstHour }
        reached.expire(now: now)
    }
}
