import EventLog
import Foundation
import Logging
import Spool
import WabulkBase

/// Plans each occurrence of recurring campaigns (`"repeat"`) when it comes: a campaign of its own,
/// `<id>--YYYY-MM-DD`, from the parent's manifest and the registry as it is then (so contacts added since the
/// last occurrence are in it). Only the latest occurrence is planned (a daemon that was down does not send a
/// week's worth at once); a parent paused or cancelled pauses or cancels its occurrences (`CampaignControl`).
public struct RecurringCampaigns: Sendable {
    let planner: CampaignPlanner
    let spoolDirectory: URL
    let logger: Logger

    public init(planner: CampaignPlanner, spoolDirectory: URL, logger: Logger) {
        self.planner = planner
        self.spoolDirectory = spoolDirectory
        self.logger = logger
    }

    /// Plans the occurrences due at `now` that are not planned yet; returns their campaign ids.
    public func planDue(now: Date) async -> [String] {
        var planned: [String] = []
        for parent in CampaignRecord.loadAll(in: planner.campaignsDirectory) where parent.phase == .recurring {
            guard let schedule = parent.manifest.repeat, let occurrence = Self.latest(schedule, atOrBefore: now),
                occurrence >= (Timestamp.parse(parent.createdAt) ?? .distantPast),
                schedule.until.flatMap(Timestamp.parse).map({ occurrence <= $0 }) ?? true
            else { continue }
            let id = Self.occurrenceID(parent.id, occurrence, schedule)
            guard parent.lastOccurrence != id else { continue }
            var manifest = parent.manifest
            manifest.id = id
            manifest.repeat = nil
            var excluded: Set<String> = []
            if schedule.excludePrevious == true, let previous = parent.lastOccurrence {
                excluded = Self.messaged(previous, logDirectory: planner.logDirectory)
            }
            do {
                try SpoolControl.inheritHold(from: parent.id, to: id, spool: spoolDirectory)
                let plan = try await planner.plan(manifest, sourceFile: parent.sourceFile, excludingPhones: excluded)
                logger.notice("recurring campaign \(parent.id): occurrence \(id) planned, \(plan.queued) messages queued")
                planned.append(id)
            } catch {
                logger.warning("recurring campaign \(parent.id): occurrence \(id) not planned: \(error)")
                // A storage failure is tried again on the next look; a refusal (nobody to message) is final.
                if let e = error as? CampaignPlanner.PlanError, case .storage = e { continue }
                if !(error is CampaignPlanner.PlanError) { continue }
            }
            _ = try? CampaignRecord.update(parent.id, in: planner.campaignsDirectory) { $0.lastOccurrence = id }
        }
        return planned
    }

    /// `<parent>--YYYY-MM-DD` in the schedule's zone (one occurrence a day at most).
    static func occurrenceID(_ parent: String, _ occurrence: Date, _ schedule: CampaignManifest.Repeat) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: schedule.timezone) ?? .gmt
        let d = calendar.dateComponents([.year, .month, .day], from: occurrence)
        return String(format: "%@--%04d-%02d-%02d", parent, d.year ?? 0, d.month ?? 0, d.day ?? 0)
    }

    /// The schedule's last occurrence at or before `now`.
    static func latest(_ schedule: CampaignManifest.Repeat, atOrBefore now: Date) -> Date? {
        guard let minutes = SendWindowSchedule.minutes(schedule.at), let zone = TimeZone(identifier: schedule.timezone) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let weekday = schedule.on.flatMap { ManifestReader.weekdays.firstIndex(of: $0) }.map { $0 + 1 }
        var day = calendar.startOfDay(for: now)
        for _ in 0..<8 {
            if let at = calendar.date(bySettingHour: minutes / 60, minute: minutes % 60, second: 0, of: day), at <= now,
                schedule.every == .day || calendar.component(.weekday, from: day) == weekday
            {
                return at
            }
            guard let before = calendar.date(byAdding: .day, value: -1, to: day) else { return nil }
            day = before
        }
        return nil
    }

    /// The first occurrence after `date`.
    static func next(_ schedule: CampaignManifest.Repeat, after date: Date) -> Date? {
        // The latest occurrence before a moment 8 days on, stepped back until it is the first after `date`.
        var candidate = latest(schedule, atOrBefore: date.addingTimeInterval(8 * 86_400))
        while let c = candidate, let earlier = latest(schedule, atOrBefore: c.addingTimeInterval(-1)), earlier > date { candidate = earlier }
        return candidate.flatMap { $0 > date ? $0 : nil }
    }

    /// The people an occurrence's messages reached (sent or further).
    static func messaged(_ campaign: String, logDirectory: URL?) -> Set<String> {
        guard let logDirectory else { return [] }
        let ledger = MessageLedger(selection: .forReport(in: logDirectory, campaign: campaign, from: nil, to: nil))
        var phones = Set<String>()
        ledger.forEach(campaign: campaign, texts: true) { m in
            if m.sentAt != nil, let phone = m.phone { phones.insert(phone) }
        }
        return phones
    }
}
