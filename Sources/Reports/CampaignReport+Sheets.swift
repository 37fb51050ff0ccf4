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

    /// Customers' replies other than opt-outs: who, when, what, and which campaign they answered when it can
    /// be told — the message the reply quoted (a button tap quotes the template it came with), else the last
    /// message sent to that person before the reply, of any campaign. A campaign's report lists the replies
    /// that answered it; the summary, all in its period.
    func writeReplies(_ sheet: XLSXSheet) {
        let headers = ["Received at", "Phone", "Campaign", "Told by", "Reply", "Button payload"]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([20, 16, 18, 28, 60, 22])
        sheet.freezeHeader()
        let replies = ledger.replies.filter { reply in
            let at = Date(timeIntervalSince1970: TimeInterval(reply.time))
            return !(reply.wamid.map(ledger.optOutReplies.contains) ?? false) && (scope.from.map { at >= $0 } ?? true)
                && (scope.to.map { at < $0 } ?? true)
        }
        // Every campaign's messages to the people who replied (one pass, only when someone did).
        let repliers = Set(replies.map(\.phone))
        let quoted = Set(replies.compactMap(\.replyTo))
        var sentTo: [String: [(at: Int, campaign: String)]] = [:]
        var campaignOfQuoted: [String: String] = [:]
        if !replies.isEmpty {
            ledger.forEach(texts: true) { m in
                if let phone = m.phone, repliers.contains(phone), let at = m.sentAt { sentTo[phone, default: []].append((at, m.campaign ?? "")) }
                if let wamid = m.wamid, quoted.contains(wamid) { campaignOfQuoted[wamid] = m.campaign ?? "" }
            }
        }
        var row = 1
        for reply in replies {
            var campaign: String?
            var toldBy = "no message before it"
            if let quoted = reply.replyTo, let c = campaignOfQuoted[quoted] {
                campaign = c
                toldBy = reply.payload != nil ? "the button it tapped" : "the message it quoted"
            } else if let last = sentTo[reply.phone]?.filter({ $0.at <= reply.time }).max(by: { $0.at < $1.at }) {
                campaign = last.campaign
                toldBy = "the last message before it"
            }
            if let only = scope.campaign, campaign != only { continue }
            sheet.write(
                row: row,
                [date(reply.time), .text(reply.phone), .text(campaign ?? ""), .text(toldBy), .text(reply.text), .text(reply.payload ?? "")]
            )
            row += 1
        }
        if row == 1 { sheet.write(row: 1, [.text("no replies"), .empty, .empty, .empty, .empty, .empty]) }
    }
}
