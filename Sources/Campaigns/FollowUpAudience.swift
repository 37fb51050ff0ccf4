import CloudAPI
import EventLog
import Foundation
import WabulkBase

/// The people of an earlier campaign whose message ended a certain way (`"audience": {"campaign": "diwali",
/// "outcome": ["delivered-not-read"]}`), read from the event log's fold of that campaign, never from a
/// spreadsheet: each number is one the earlier campaign messaged. Resolved once, when the follow-up is first
/// planned, and kept beside its record, so a planning resumed after a crash walks the same list.
struct FollowUpAudience {
    enum Outcome: String, CaseIterable, Sendable {
        case sentNotDelivered = "sent-not-delivered"
        case deliveredNotRead = "delivered-not-read"
        case read
        case failed
        /// A failure wabulk classes as transient (Meta's code says try again: 131000, 130429 …).
        case failedTransient = "failed-transient"
        /// Skipped or cancelled: never sent.
        case notSent = "not-sent"
    }

    struct Resolution: Equatable {
        /// In the earlier campaign's job order, each once.
        var phones: [String]
        /// Outcome → people it matched (before replies were left out).
        var matched: [String: Int]
        /// People left out because they replied to the earlier campaign.
        var replied: Int
    }

    /// `"48h"`, `"30m"`, `"2d"`, `"90s"` → seconds.
    static func duration(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        default: return nil
        }
    }

    static func outcomes(of m: MessageLedger.Message) -> [Outcome] {
        switch m.status {
        case .sent: return [.sentNotDelivered]
        case .delivered: return [.deliveredNotRead]
        case .read: return [.read]
        case .failed:
            // As `retry-failed` judges it: Meta's code, else a network failure with no answer.
            let transient = m.errorCode.map { MetaErrorCatalog.entry(for: $0).action.isTransient } ?? (m.failure?.isTransientWithoutCode ?? false)
            return transient ? [.failed, .failedTransient] : [.failed]
        case .skipped, .cancelled: return [.notSent]
        default: return []
        }
    }

    static func resolve(
        campaign: String,
        outcomes wanted: [Outcome],
        olderThan after: TimeInterval?,
        excludeReplied: Bool,
        logDirectory: URL,
        now: Date
    ) -> Resolution {
        let ledger = MessageLedger(selection: .forReport(in: logDirectory, campaign: campaign, from: nil, to: nil))
        let wanted = Set(wanted)
        var matched: [String: Int] = [:]
        var chosen: [(phone: String, sentAt: Int?)] = []
        var seen = Set<String>()
        let bound = after.map { Int(now.addingTimeInterval(-$0).timeIntervalSince1970) }
        var firstSent: Int?
        ledger.forEach(campaign: campaign, texts: true) { m in
            guard let phone = m.phone else { return }
            if let t = m.sentAt, firstSent.map({ t < $0 }) ?? true { firstSent = t }
            let hits = outcomes(of: m).filter(wanted.contains)
            guard !hits.isEmpty else { return }
            if let bound, let at = m.sentAt ?? m.firstSeen, at > bound { return }
            guard seen.insert(phone).inserted else { return }
            for o in hits { matched[o.rawValue, default: 0] += 1 }
            chosen.append((phone, m.sentAt))
        }
        var replied = 0
        if excludeReplied, let firstSent {
            // Replies from the campaign's first send on, wherever they are logged (a reply names no campaign).
            var query = LogQuery()
            query.inbound = true
            query.since = Date(timeIntervalSince1970: TimeInterval(firstSent))
            var repliedAt: [String: Int] = [:]
            query.scan(directory: logDirectory) { _, event in
                guard let phone = event.phone, let at = event.date.map({ Int($0.timeIntervalSince1970) }) else { return }
                repliedAt[phone] = max(repliedAt[phone] ?? at, at)
            }
            chosen = chosen.filter { c in
                guard let at = repliedAt[c.phone], at >= (c.sentAt ?? firstSent) else { return true }
                replied += 1
                return false
            }
        }
        return Resolution(phones: chosen.map(\.phone), matched: matched, replied: replied)
    }

    /// Where a follow-up's resolved list is kept: one number per line, beside the campaign's record.
    static func file(_ id: String, in campaignsDirectory: URL) -> URL { campaignsDirectory.appendingPathComponent("\(id).audience") }

    static func save(_ phones: [String], id: String, in campaignsDirectory: URL) throws {
        try AtomicFile.write(Data((phones.joined(separator: "\n") + "\n").utf8), to: file(id, in: campaignsDirectory))
    }

    static func load(id: String, in campaignsDirectory: URL) -> [String]? {
        (try? String(contentsOf: file(id, in: campaignsDirectory), encoding: .utf8)).map { $0.split(separator: "\n").map(String.init) }
    }
}

extension ErrorAction {
    /// Meta's code says the same message may go through later (wabulk retries it, `retry-failed` may).
    var isTransient: Bool {
        switch self {
        case .retry, .slowDown, .slowDownRecipient, .retryAfterADay: true
        case .fail, .stopQueue, .stopCampaign: false
        }
    }
}
