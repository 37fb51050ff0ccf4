import CloudAPI
import EventLog
import Foundation
import Spool
import WabulkBase

/// Pause, resume, cancel and retry-failed for one campaign: from the CLI or a control file in inbox/.
/// Works on the files the daemon shares (campaign records, the spool's folders and holds, the event log),
/// so it is safe from another process while the daemon runs.
public struct CampaignControl: Sendable {
    public enum Action: String, Sendable, Codable, CaseIterable {
        case pause, resume, cancel
        case retryFailed = "retry-failed"
    }

    public enum ControlError: Error, Equatable, CustomStringConvertible {
        case unknownCampaign(String)
        case alreadyCancelled(String)
        case storage(String)

        public var description: String {
            switch self {
            case .unknownCampaign(let id): "no campaign \"\(id)\""
            case .alreadyCancelled(let id): "campaign \"\(id)\" was cancelled; it cannot be resumed"
            case .storage(let reason): reason
            }
        }
    }

    public let campaignsDirectory: URL
    public let spoolDirectory: URL
    public let events: EventLogWriter
    public let eventsDirectory: URL
    public let now: @Sendable () -> Date

    public init(
        campaignsDirectory: URL,
        spoolDirectory: URL,
        events: EventLogWriter,
        eventsDirectory: URL,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.campaignsDirectory = campaignsDirectory
        self.spoolDirectory = spoolDirectory
        self.events = events
        self.eventsDirectory = eventsDirectory
        self.now = now
    }

    /// Carries out an action; returns a sentence for the receipt or the terminal. A recurring or trigger
    /// campaign's pause, resume and cancel reach each of its occurrences too (new ones inherit its hold; a
    /// cancelled one has none).
    public func perform(_ action: Action, campaign id: String, by source: String) async throws(ControlError) -> String {
        guard let record = CampaignRecord.load(id, in: campaignsDirectory) else { throw .unknownCampaign(id) }
        let parent = record.manifest.repeat != nil || record.manifest.trigger != nil
        if parent, action != .retryFailed {
            let occurrences = CampaignRecord.loadAll(in: campaignsDirectory).filter { $0.id.hasPrefix("\(id)--") && $0.phase != .cancelled }
            for occurrence in occurrences { _ = try await performOne(action, record: occurrence, by: source) }
            let said = try await performOne(action, record: record, by: source)
            return occurrences.isEmpty ? said : "\(said) (and \(occurrences.count) occurrence(s))"
        }
        return try await performOne(action, record: record, by: source)
    }

    func performOne(_ action: Action, record: CampaignRecord, by source: String) async throws(ControlError) -> String {
        let id = record.id
        do {
            switch action {
            case .pause:
                try SpoolControl.update(spool: spoolDirectory) {
                    $0.campaignHolds[id] = .init(reason: "paused by \(source)", cause: .paused(by: source), since: now())
                }
                return "campaign \(id) paused; messages under way finish, the rest wait"
            case .resume:
                if record.phase == .cancelled { throw ControlError.alreadyCancelled(id) }
                try SpoolControl.update(spool: spoolDirectory) { $0.campaignHolds[id] = nil }
                return "campaign \(id) resumed"
            case .cancel:
                try SpoolControl.update(spool: spoolDirectory) {
                    $0.campaignHolds[id] = .init(reason: "cancelled by \(source)", cause: .cancelled(by: source), since: now())
                }
                // Only what this call removed is cancelled: a job the daemon took in the meantime is in
                // flight and will be recorded as sent or failed.
                let removed = try Spool.cancelWaiting(in: spoolDirectory, campaign: id)
                let stamp = now()
                try await events.append(
                    removed.map {
                        MessageEvent(
                            time: stamp,
                            status: .cancelled,
                            campaign: id,
                            job: $0,
                            reason: "cancelled by \(source)",
                            source: EventSource.control.rawValue
                        )
                    }
                )
                try CampaignRecord.update(id, in: campaignsDirectory) { $0.phase = .cancelled }
                return "campaign \(id) cancelled: \(removed.count) waiting messages will not be sent"
            case .retryFailed:
                if record.phase == .cancelled { throw ControlError.alreadyCancelled(id) }
                let ledger = MessageLedger(selection: .forReport(in: eventsDirectory, campaign: id, from: nil, to: nil))
                let candidates = ledger.records(campaign: id).filter { $0.status == .failed && Self.isTransient($0) }
                let moved = Set(try Spool.requeueFailed(in: spoolDirectory, ids: candidates.map(\.job)))
                let requeued = candidates.filter { moved.contains($0.job) }
                let stamp = now()
                try await events.append(
                    requeued.map {
                        MessageEvent(
                            time: stamp,
                            status: .queued,
                            campaign: id,
                            job: $0.job,
                            phone: $0.phone,
                            reason: "retry-failed by \(source)",
                            source: EventSource.retry.rawValue
                        )
                    }
                )
                let suppressed = candidates.count - requeued.count
                return "campaign \(id): \(requeued.count) failed messages with a transient error queued again"
                    + (suppressed > 0 ? "; \(suppressed) not, their numbers having opted out or been removed" : "")
            }
        } catch let error as ControlError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    /// A failure worth retrying later: Meta said transient/throttled, or the network failed.
    static func isTransient(_ message: MessageRecord) -> Bool {
        if let code = message.errorCode {
            return MetaErrorCatalog.entry(for: code).action.isTransient
        }
        let kind = message.failure ?? FailureKind.fromLegacy(errorCode: nil, title: message.errorTitle, reason: message.reason)
        return kind?.isTransientWithoutCode ?? false
    }
}
