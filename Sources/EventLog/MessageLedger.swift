import Foundation
import WabulkBase

/// Folds the event log into each message's final state: monotonic (a status never goes back),
/// idempotent (a repeated event changes nothing) and independent of arrival order.
public struct MessageLedger: Sendable {
    public private(set) var messages: [String: MessageRecord] = [:]
    /// Status events whose message id matched no send we know of (kept, never dropped).
    public private(set) var orphans: [MessageEvent] = []
    public private(set) var inbound: [MessageEvent] = []
    private var jobByWamid: [String: String] = [:]

    public init() {}

    public init(events: [MessageEvent]) {
        self.init()
        // Sends first, so that webhook events can be joined through their wamid in any order.
        for e in events where e.kind == .status && e.job != nil { apply(e) }
        for e in events where e.kind == .status && e.job == nil { apply(e) }
        for e in events where e.kind == .inbound { inbound.append(e) }
    }

    public mutating func apply(_ e: MessageEvent) {
        guard e.kind == .status, let status = e.status else {
            if e.kind == .inbound { inbound.append(e) }
            return
        }
        let jobID: String
        if let job = e.job {
            jobID = job
        } else if let wamid = e.wamid, let job = jobByWamid[wamid] {
            jobID = job
        } else {
            orphans.append(e)
            return
        }
        var record = messages[jobID] ?? MessageRecord(job: jobID, status: status)
        if let wamid = e.wamid {
            record.wamid = record.wamid ?? wamid
            jobByWamid[wamid] = jobID
        }
        record.campaign = record.campaign ?? e.campaign
        record.phone = record.phone ?? e.phone
        record.name = record.name ?? e.name
        record.attempts = max(record.attempts, e.attempt ?? 0)
        let when = e.metaTime.map { Timestamp.format(Date(timeIntervalSince1970: TimeInterval($0))) } ?? e.time
        if record.times[status] == nil || when < record.times[status]! { record.times[status] = when }
        if status == .read, record.times[.delivered] == nil || when < record.times[.delivered]! {
            // Meta skips "delivered" when the chat was open: read implies delivered, at the same time.
            record.times[.delivered] = when
        }
        if let category = e.pricingCategory { record.pricingCategory = category; record.pricingType = e.pricingType }
        if status == .failed || status == .deferred, let code = e.errorCode {
            record.errorCode = code
            record.errorTitle = e.errorTitle
            record.errorDetails = e.errorDetails
        }
        if let reason = e.reason, [.skipped, .cancelled, .deferred, .failed].contains(status) { record.reason = reason }
        if status == .queued, e.source == "retry", record.status == .failed {
            // `wabulk campaign retry-failed` put it back in line: it starts over.
            record.status = .queued
            record.errorCode = nil
            record.errorTitle = nil
            record.errorDetails = nil
            record.times[.failed] = nil
        } else if messages[jobID] == nil || Self.advances(from: record.status, to: status) {
            record.status = status
        }
        messages[jobID] = record
    }

    /// Whether `new` replaces `old`. Before a send lands, the latest step wins (a deferred message is
    /// sent again); from `sent` on, only a higher rank wins.
    static func advances(from old: MessageStatus, to new: MessageStatus) -> Bool {
        if old == .skipped || old == .cancelled { return false }
        if new == .skipped || new == .cancelled { return !old.isFinal }
        switch (old, new) {
        case (.queued, _), (.deferred, _), (.sending, _): return new != .queued
        default: return new.rank > old.rank
        }
    }

    public func records(campaign: String? = nil) -> [MessageRecord] {
        messages.values.filter { campaign == nil || $0.campaign == campaign }.sorted { $0.job < $1.job }
    }

    public var campaigns: [String] { Array(Set(messages.values.compactMap(\.campaign))).sorted() }
}
