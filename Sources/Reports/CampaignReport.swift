import CloudAPI
import EventLog
import Foundation
import WabulkBase

/// Builds the XLSX report from the event log (never from counters): a Summary sheet with the seed
/// system's rates and charts, and a Messages sheet with every message.
public struct CampaignReport: Sendable {
    public let ledger: MessageLedger
    /// nil: every campaign.
    public let campaign: String?
    public let timeZone: TimeZone

    public init(ledger: MessageLedger, campaign: String? = nil, timeZone: TimeZone = .gmt) {
        self.ledger = ledger
        self.campaign = campaign
        self.timeZone = timeZone
    }

    public var counts: CampaignCounts { CampaignCounts(ledger.records(campaign: campaign)) }

    /// Writes to a temp file beside `path` and renames it, so nobody opens a half-written report.
    public func write(to path: URL, generatedAt: Date = Date()) throws {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = path.deletingLastPathComponent().appendingPathComponent(".\(path.lastPathComponent).tmp")
        let workbook = try XLSXWorkbook(path: temp.path)
        let records = ledger.records(campaign: campaign)
        let c = CampaignCounts(records)
        let summary = workbook.addSheet("Summary")
        summary.setColumnWidths([28, 18])
        summary.write(row: 0, [.text("wabulk report")], style: .title)
        summary.write(row: 1, [.text("Campaign"), .text(campaign ?? "all campaigns")])
        summary.write(row: 2, [.text("Generated"), .date(generatedAt.shifted(to: timeZone))])
        summary.write(row: 4, [.text("Measure"), .text("Value")], style: .header)
        let rows: [(String, XLSXSheet.Cell)] = [
            ("Total", .integer(c.total)), ("Queued", .integer(c.queued + c.sending + c.deferred)), ("Sent", .integer(c.sent)),
            ("Delivered", .integer(c.delivered)), ("Read", .integer(c.read)), ("Failed", .integer(c.failed)),
            ("Skipped", .integer(c.skipped)),
            ("Delivery rate", .percent(c.deliveryRate)), ("Read rate", .percent(c.readRate)), ("Failure rate", .percent(c.failureRate)),
        ]
        for (i, (label, value)) in rows.enumerated() { summary.write(row: 5 + i, [.text(label), value]) }
        workbook.insertChart(.column, title: "Funnel",
                             series: [("Messages", "=Summary!$A$6:$A$11", "=Summary!$B$6:$B$11")], on: summary, row: 4, column: 3)

        let messages = workbook.addSheet("Messages")
        let headers = ["Phone", "Name", "Campaign", "Status", "Sent at", "Delivered at", "Read at", "Failed at",
                       "Message id", "Attempts", "Error code", "Error", "What to do"]
        messages.write(row: 0, headers.map { .text($0) }, style: .header)
        messages.setColumnWidths([16, 22, 18, 11, 20, 20, 20, 20, 40, 9, 11, 36, 60])
        messages.freezeHeader()
        for (i, r) in records.enumerated() {
            func time(_ s: MessageStatus) -> XLSXSheet.Cell {
                r.times[s].flatMap(Timestamp.parse).map { .date($0.shifted(to: timeZone)) } ?? .empty
            }
            messages.write(row: i + 1, [
                .text(r.phone ?? ""), .text(r.name ?? ""), .text(r.campaign ?? ""), .text(r.status.rawValue),
                time(.sent), time(.delivered), time(.read), time(.failed), .text(r.wamid ?? ""),
                .integer(r.attempts), r.errorCode.map { .integer($0) } ?? .empty,
                .text(r.errorTitle ?? r.reason ?? ""), .text(r.errorCode.map { MetaErrorCatalog.entry(for: $0).explanation } ?? ""),
            ])
        }
        messages.autofilter(lastRow: records.count, lastColumn: headers.count - 1)
        try workbook.close()
        guard rename(temp.path, path.path) == 0 else { throw FileError.cannotMove(from: temp.path, to: path.path, errno: errno) }
    }
}

extension Date {
    /// Excel dates have no zone: shift so the serial shows local wall-clock time.
    func shifted(to zone: TimeZone) -> Date { addingTimeInterval(TimeInterval(zone.secondsFromGMT(for: self))) }
}
