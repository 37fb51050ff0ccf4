import EventLog
import Foundation
import Logging
import ServiceLifecycle
import WabulkBase

/// The daemon's scheduled reports: at each run, a summary report for the period and one per campaign
/// active in it, written to outbox/reports/ (temp file, then rename) with names that sort by date, then
/// mailed when recipients are configured — in its own task, so a slow or failing mail server holds up
/// nothing.
public struct ScheduledReports: Service {
    public struct Mailing: Sendable {
        public var mailer: ReportMailer
        public var from: String
        public var to: [String]
        public init(mailer: ReportMailer, from: String, to: [String]) {
            self.mailer = mailer
            self.from = from
            self.to = to
        }
    }

    let schedule: ReportSchedule
    let home: HomeLayout
    let scope: @Sendable (_ campaign: String?, _ from: Date, _ to: Date) -> ReportScope
    let mailing: Mailing?
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        schedule: ReportSchedule,
        home: HomeLayout,
        scope: @escaping @Sendable (String?, Date, Date) -> ReportScope,
        mailing: Mailing?,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.schedule = schedule
        self.home = home
        self.scope = scope
        self.mailing = mailing
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { mails in
            var last = now()
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                guard let next = schedule.nextRun(after: last) else { return }
                // Woken at least once a second: the injected clock may run ahead of the real one (tests move it).
                while now() < next.at && !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let wait = min(1000, max(10, Int(next.at.timeIntervalSince(now()) * 1000)))
                    _ = await sleepUnlessStopping(until: .now + .milliseconds(wait))
                }
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                last = next.at
                do {
                    let written = try write(next)
                    if let mailing {
                        mails.addTask { await self.mail(written, run: next, mailing: mailing) }
                    }
                } catch {
                    logger.error("scheduled report: \(error)")
                }
            }
        }
    }

    public struct Written: Sendable, Equatable {
        public var path: URL
        public var campaign: String?
        public var counts: CampaignCounts
    }

    /// Writes the run's reports; the summary first.
    public func write(_ run: ReportSchedule.Run) throws -> [Written] {
        let ledger = MessageLedger(selection: .forReport(in: home.log, campaign: nil, from: run.from, to: run.at))
        let stamp = Timestamp.fileStamp(run.at)
        let summary = CampaignReport(ledger: ledger, scope: scope(nil, run.from, run.at))
        var written: [Written] = []
        let summaryPath = home.reports.appendingPathComponent("\(stamp)-summary.xlsx")
        let outcome = try summary.write(to: summaryPath, generatedAt: run.at)
        written.append(Written(path: summaryPath, campaign: nil, counts: outcome.counts))
        for campaign in outcome.campaignIDs {
            let report = CampaignReport(ledger: ledger, scope: scope(campaign, run.from, run.at))
            let path = home.reports.appendingPathComponent("\(stamp)-\(campaign).xlsx")
            let counts = try report.write(to: path, generatedAt: run.at).counts
            written.append(Written(path: path, campaign: campaign, counts: counts))
        }
        logger.info("scheduled report: \(written.count) workbook(s) for \(Timestamp.format(run.from)) to \(Timestamp.format(run.at))")
        return written
    }

    func mail(_ written: [Written], run: ReportSchedule.Run, mailing: Mailing) async {
        guard let summary = written.first, let bytes = try? [UInt8](Data(contentsOf: summary.path)) else { return }
        let c = summary.counts
        var text = "wabulk report for \(Timestamp.format(run.from)) to \(Timestamp.format(run.at)) (UTC).\n\n"
        text += "Total \(c.total), sent \(c.sent), delivered \(c.delivered), read \(c.read), failed \(c.failed), skipped \(c.skipped).\n"
        text += String(
            format: "Delivery rate %.1f%%, read rate %.1f%%, failure rate %.1f%%.\n",
            c.deliveryRate * 100,
            c.readRate * 100,
            c.failureRate * 100
        )
        for w in written.dropFirst() {
            text += "\n\(w.campaign ?? ""): total \(w.counts.total), delivered \(w.counts.delivered), failed \(w.counts.failed)"
        }
        let mail = ReportMail(
            from: mailing.from,
            to: mailing.to,
            subject: "wabulk report \(Timestamp.day(run.at)): \(c.total) messages, \(c.delivered) delivered, \(c.failed) failed",
            summary: text,
            attachmentName: summary.path.lastPathComponent,
            attachment: bytes
        )
        await mailing.mailer.send(mail, now: run.at)
    }
}
