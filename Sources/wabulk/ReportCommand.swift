import ArgumentParser
import Campaigns
import EventLog
import Foundation
import Reports
import WabulkBase

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an XLSX report now, built from the event log."
    )

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Only this campaign (default: every campaign).")
    var campaign: String?
    @Option(help: "Only messages whose first step is on or after this date (YYYY-MM-DD or ISO 8601; local dates in the configured timezone).")
    var from: String?
    @Option(help: "Only messages whose first step is before this date (YYYY-MM-DD: the day itself is excluded).")
    var to: String?
    @Option(help: "Where to write the .xlsx (default: outbox/reports/<time>-<campaign>.xlsx).")
    var out: String?
    @Flag(help: "Print one JSON document (the path and the numbers) instead of text.")
    var json = false

    func run() throws {
        let (home, settings) = try homeOptions.layout()
        let zone = TimeZone(identifier: settings.timezone) ?? .gmt
        func date(_ text: String?, _ flag: String) throws -> Date? {
            guard let text else { return nil }
            guard let d = ReportWriter.parseDate(text, timeZone: zone) else {
                throw ValidationError("\(flag) \(text): expected YYYY-MM-DD or an ISO 8601 time")
            }
            return d
        }
        let (start, end) = (try date(from, "--from"), try date(to, "--to"))
        let selection = LogSelection.forReport(in: home.log, campaign: campaign, from: start, to: end)
        let scope = ReportWriter.scope(home: home, settings: settings, campaign: campaign, from: start, to: end, campaigns: selection.campaigns)
        let progress = TerminalProgress("reading the log", unit: "MB", total: Int(selection.bytes >> 20), quiet: json)
        let result = try ReportWriter.write(
            home: home,
            scope: scope,
            selection: selection,
            out: out.map { URL(fileURLWithPath: $0) },
            progress: progress.enabled ? { progress.update(Int($0 >> 20)) } : nil
        )
        progress.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.path)
            print(result.summaryLine)
        }
    }
}

/// Builds a report from the event log and says where it went and what it counted.
struct ReportWriter {
    struct Result: Codable {
        var path: String
        var campaign: String?
        var counts: CampaignCounts
        var deliveryRate: Double
        var readRate: Double
        var failureRate: Double

        var summaryLine: String {
            "total \(counts.total), sent \(counts.sent), delivered \(counts.delivered), read \(counts.read), failed \(counts.failed), skipped \(counts.skipped)"
                + String(
                    format: "; delivery rate %.1f%%, read rate %.1f%%, failure rate %.1f%%",
                    deliveryRate * 100,
                    readRate * 100,
                    failureRate * 100
                )
        }
    }

    /// The report's scope: the campaigns' facts from their records, the timezone and rate card from settings.
    /// `campaigns`: the records to read (those the report's days can name); nil: all of them.
    static func scope(home: HomeLayout, settings: Settings, campaign: String?, from: Date?, to: Date?, campaigns: Set<String>? = nil) -> ReportScope {
        let records =
            campaigns.map { $0.sorted().compactMap { CampaignRecord.load($0, in: home.campaigns) } } ?? CampaignRecord.loadAll(in: home.campaigns)
        let infos = records.map {
            ReportScope.CampaignInfo(
                id: $0.id,
                name: $0.manifest.name ?? "",
                template: $0.manifest.template.name,
                language: $0.manifest.template.language,
                createdAt: Timestamp.parse($0.createdAt),
                variants: ($0.manifest.variants ?? []).map { .init(template: $0.template.name, language: $0.template.language, share: $0.share) }
            )
        }
        return ReportScope(
            campaign: campaign,
            from: from,
            to: to,
            timeZone: TimeZone(identifier: settings.timezone) ?? .gmt,
            campaigns: Dictionary(infos.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
            rateCard: settings.rateCard
        )
    }

    /// "2026-11-28" (midnight in the zone) or a full ISO 8601 time.
    static func parseDate(_ text: String, timeZone: TimeZone) -> Date? {
        if let full = Timestamp.parse(text) { return full }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = timeZone
        f.dateFormat = "yyyy-MM-dd"
        return f.date(from: text)
    }

    static func write(
        home: HomeLayout,
        scope: ReportScope,
        selection: LogSelection? = nil,
        out: URL?,
        now: Date = Date(),
        progress: ((UInt64) -> Void)? = nil
    ) throws -> Result {
        let ledger = MessageLedger(
            selection: selection ?? .forReport(in: home.log, campaign: scope.campaign, from: scope.from, to: scope.to),
            progress: progress
        )
        let report = CampaignReport(ledger: ledger, scope: scope)
        let path = out ?? home.reports.appendingPathComponent("\(Timestamp.fileStamp(now))-\(scope.campaign ?? "all").xlsx")
        let c = try report.write(to: path, generatedAt: now).counts
        return Result(
            path: path.path,
            campaign: scope.campaign,
            counts: c,
            deliveryRate: c.deliveryRate,
            readRate: c.readRate,
            failureRate: c.failureRate
        )
    }
}
