import ArgumentParser
import EventLog
import Foundation
import Reports
import WabulkBase

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an XLSX report now, built from the event log.")

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Only this campaign (default: every campaign).")
    var campaign: String?
    @Option(help: "Where to write the .xlsx (default: outbox/reports/<time>-<campaign>.xlsx).")
    var out: String?
    @Flag(help: "Print one JSON document (the path and the numbers) instead of text.")
    var json = false

    func run() throws {
        let home = HomeLayout.resolve(option: homeOptions.home)
        let settings = try Settings.load(file: home.configurationFile)
        let result = try ReportWriter.write(home: home, campaign: campaign, out: out.map { URL(fileURLWithPath: $0) },
                                            timeZone: TimeZone(identifier: settings.timezone) ?? .gmt)
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
                + String(format: "; delivery rate %.1f%%, read rate %.1f%%, failure rate %.1f%%", deliveryRate * 100, readRate * 100, failureRate * 100)
        }
    }

    static func write(home: HomeLayout, campaign: String?, out: URL?, timeZone: TimeZone, now: Date = Date()) throws -> Result {
        let ledger = MessageLedger(events: EventLogReader(directory: home.log).readAll().events)
        let report = CampaignReport(ledger: ledger, campaign: campaign, timeZone: timeZone)
        let path = out ?? home.reports.appendingPathComponent("\(Timestamp.fileStamp(now))-\(campaign ?? "all").xlsx")
        try report.write(to: path, generatedAt: now)
        let c = report.counts
        return Result(path: path.path, campaign: campaign, counts: c, deliveryRate: c.deliveryRate, readRate: c.readRate, failureRate: c.failureRate)
    }
}
