import CloudAPI
import EventLog
import Foundation
import WabulkBase

/// The Failures, Timeline and Cost sheets.
extension CampaignReport {
    func writeFailures(_ sheet: XLSXSheet, _ totals: Totals) {
        let headers = ["Error code", "Meta's title", "Messages", "Share of failures", "What it means and what to do", "What wabulk did"]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([11, 36, 10, 16, 80, 30])
        sheet.freezeHeader()
        let groups = totals.failures.sorted { ($0.value.count, -$0.key) > ($1.value.count, -$1.key) }
        for (i, (code, group)) in groups.enumerated() {
            let entry = code >= 0 ? MetaErrorCatalog.entry(for: code) : nil
            let title = group.title ?? entry?.title ?? ""
            sheet.write(
                row: i + 1,
                [
                    code >= 0 ? .integer(code) : .text("none"), .text(title), .integer(group.count),
                    .percent(totals.failed == 0 ? 0 : Double(group.count) / Double(totals.failed)),
                    .text(
                        entry?.explanation
                            ?? "No answer from Meta (network error or timeout) after every retry; `wabulk campaign retry-failed` sends it again."
                    ),
                    .text(Self.whatWabulkDid(entry?.action)),
                ]
            )
        }
        sheet.autofilter(lastRow: groups.count, lastColumn: headers.count - 1)
    }

    static func whatWabulkDid(_ action: ErrorAction?) -> String {
        switch action {
        case .retry?, nil: "retried with backoff, then gave up"
        case .slowDown?: "slowed the number down and retried"
        case .slowDownRecipient?: "retried that recipient later"
        case .retryAfterADay?: "retried no sooner than 24 hours"
        case .stopQueue?: "paused all sending"
        case .stopCampaign?: "stopped the campaign"
        case .fail?: "failed the message, no retry"
        }
    }

    func writeTimeline(_ sheet: XLSXSheet, _ workbook: XLSXWorkbook, _ totals: Totals) {
        sheet.write(row: 0, ["Hour", "Sent", "Delivered", "Read", "Failed"].map { .text($0) }, style: .header)
        sheet.setColumnWidths([19, 10, 10, 10, 10])
        sheet.freezeHeader()
        let sorted = totals.hours.keys.sorted()
        for (i, hour) in sorted.enumerated() {
            let n = totals.hours[hour]!
            sheet.write(
                row: i + 1,
                [.date(Date(timeIntervalSince1970: TimeInterval(hour))), .integer(n[0]), .integer(n[1]), .integer(n[2]), .integer(n[3])]
            )
        }
        if !sorted.isEmpty {
            let last = sorted.count + 1
            workbook.insertChart(
                .line,
                title: "Messages per hour",
                series: ["B", "C", "D", "E"].enumerated().map { i, col in
                    (["Sent", "Delivered", "Read", "Failed"][i], "=Timeline!$A$2:$A$\(last)", "=Timeline!$\(col)$2:$\(col)$\(last)")
                },
                on: sheet,
                row: 1,
                column: 6
            )
        }
    }

    func writeCost(_ sheet: XLSXSheet, _ totals: Totals) {
        let headers = ["Pricing category", "Country code", "Billable messages", "Rate", "Estimated cost"]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([18, 13, 17, 10, 15])
        sheet.freezeHeader()
        let sorted = totals.cost.values.sorted { ($0.category, $0.code) < ($1.category, $1.code) }
        var total = 0.0
        var billable = 0
        for (i, line) in sorted.enumerated() {
            let cost = line.rate.map { Double(line.count) * $0 }
            total += cost ?? 0
            billable += line.count
            sheet.write(
                row: i + 1,
                [
                    .text(line.category), .text(line.code), .integer(line.count),
                    line.rate.map { .money($0) } ?? .text("no rate"), cost.map { .money($0) } ?? .empty,
                ]
            )
        }
        sheet.write(row: sorted.count + 1, [.text("Total"), .empty, .integer(billable), .empty, .money(total)], style: .header)
        guard !totals.free.isEmpty else { return }
        // Below the charged ones: what Meta delivered free, and why, so the total is not mistaken for a miscount.
        let start = sorted.count + 3
        sheet.write(row: start, [.text("Not charged"), .text("Pricing type"), .text("Messages"), .text("Why")], style: .header)
        for (i, line) in totals.free.values.sorted(by: { ($0.category, $0.type) < ($1.category, $1.type) }).enumerated() {
            sheet.write(row: start + 1 + i, [.text(line.category), .text(line.type), .integer(line.count), .text(Self.whyFree(line.type))])
        }
    }

    /// Meta's per-message pricing types other than `regular` (meta-cloud-api.md, section 14).
    static func whyFree(_ type: String) -> String {
        switch type {
        case "free_customer_service": "inside the 24-hour customer service window the customer opened"
        case "free_entry_point": "within 72 hours of a free entry point (an ad or page button that opened the chat)"
        default: "Meta reported it as \(type), not regular: not charged"
        }
    }
}
