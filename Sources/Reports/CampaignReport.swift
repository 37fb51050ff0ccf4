import CloudAPI
import EventLog
import Foundation
import WabulkBase

/// Builds the XLSX report from the event log (never from counters): Summary (counts, rates, a funnel and
/// a status chart), Campaigns, Messages, Failures (by error code, with what to do), Timeline (per hour, with a
/// line chart) and Cost (billable messages by pricing category against the rate card).
public struct CampaignReport: Sendable {
    public let ledger: MessageLedger
    public let scope: ReportScope

    public init(ledger: MessageLedger, scope: ReportScope) {
        self.ledger = ledger
        self.scope = scope
    }

    public init(ledger: MessageLedger, campaign: String? = nil, timeZone: TimeZone = .gmt) {
        self.init(ledger: ledger, scope: ReportScope(campaign: campaign, timeZone: timeZone))
    }

    public var campaign: String? { scope.campaign }

    /// The messages in scope: the campaign, and a first recorded step inside the period.
    public var records: [MessageRecord] {
        ledger.records(campaign: scope.campaign).filter { r in
            guard scope.from != nil || scope.to != nil else { return true }
            guard let first = r.times.values.min().flatMap(Timestamp.parse) else { return false }
            return (scope.from.map { first >= $0 } ?? true) && (scope.to.map { first < $0 } ?? true)
        }
    }

    public var counts: CampaignCounts { CampaignCounts(records) }

    /// Writes to a temp file beside `path` and renames it, so nobody opens a half-written report.
    public func write(to path: URL, generatedAt: Date = Date()) throws {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = path.deletingLastPathComponent().appendingPathComponent(".\(path.lastPathComponent).tmp")
        let workbook = try XLSXWorkbook(path: temp.path)
        let records = self.records
        let byCampaign = Dictionary(grouping: records) { $0.campaign ?? "" }
        writeSummary(workbook, records, byCampaign: byCampaign, generatedAt: generatedAt)
        writeCampaigns(workbook, byCampaign)
        writeMessages(workbook, records)
        writeFailures(workbook, records)
        writeTimeline(workbook, records)
        writeCost(workbook, records)
        try workbook.close()
        guard rename(temp.path, path.path) == 0 else { throw FileError.cannotMove(from: temp.path, to: path.path, errno: errno) }
    }

    func date(_ iso: String?) -> XLSXSheet.Cell {
        iso.flatMap(Timestamp.parse).map { .date($0.shifted(to: scope.timeZone)) } ?? .empty
    }

    func writeSummary(_ workbook: XLSXWorkbook, _ records: [MessageRecord], byCampaign: [String: [MessageRecord]], generatedAt: Date) {
        let c = CampaignCounts(records)
        let sheet = workbook.addSheet("Summary")
        sheet.setColumnWidths([28, 22, 4, 4])
        sheet.fitToOnePageWide()
        let ids = byCampaign.keys.sorted()
        let infos = ids.compactMap { scope.campaigns[$0] }
        let firstSent = records.compactMap { $0.times[.sent] }.min()
        let lastEvent = records.flatMap { $0.times.values }.max()
        sheet.write(row: 0, [.text("wabulk report")], style: .title)
        sheet.write(row: 1, [.text("Campaign"), .text(scope.campaign ?? (ids.isEmpty ? "none" : ids.joined(separator: ", ")))])
        sheet.write(row: 2, [.text("Template"), .text(Set(infos.map { "\($0.template) (\($0.language))" }).sorted().joined(separator: ", "))])
        sheet.write(row: 3, [.text("Period"), .text(scope.periodText)])
        sheet.write(row: 4, [.text("First sent"), date(firstSent)])
        sheet.write(row: 5, [.text("Last update"), date(lastEvent)])
        sheet.write(row: 6, [.text("Generated"), .date(generatedAt.shifted(to: scope.timeZone))])
        sheet.write(row: 7, [.text("Timezone"), .text(scope.timeZone.identifier)])
        sheet.write(row: 9, [.text("Measure"), .text("Value")], style: .header)
        let rows: [(String, XLSXSheet.Cell)] = [
            ("Total", .integer(c.total)), ("Queued", .integer(c.queued + c.sending + c.deferred)), ("Sent", .integer(c.sent)),
            ("Delivered", .integer(c.delivered)), ("Read", .integer(c.read)), ("Failed", .integer(c.failed)),
            ("Skipped", .integer(c.skipped + c.cancelled)),
            ("Delivery rate", .percent(c.deliveryRate)), ("Read rate", .percent(c.readRate)), ("Failure rate", .percent(c.failureRate)),
        ]
        for (i, (label, value)) in rows.enumerated() { sheet.write(row: 10 + i, [.text(label), value]) }
        // Rows 11–15 are Total…Read (the funnel); 16–17 Failed and Skipped, with Delivered and Read, split the outcome.
        workbook.insertChart(.column, title: "Funnel", series: [("Messages", "=Summary!$A$11:$A$15", "=Summary!$B$11:$B$15")],
                             on: sheet, row: 1, column: 3)
        sheet.write(row: 22, [.text("Status split"), .text("Messages")], style: .header)
        let split: [(String, Int)] = [("Read", c.read), ("Delivered, not read", c.delivered - c.read), ("Sent, not delivered", c.sent - c.delivered),
                                      ("Failed", c.failed), ("Waiting", c.queued + c.sending + c.deferred), ("Skipped", c.skipped + c.cancelled)]
        for (i, (label, n)) in split.enumerated() { sheet.write(row: 23 + i, [.text(label), .integer(n)]) }
        workbook.insertChart(.pie, title: "Status split", series: [("Messages", "=Summary!$A$24:$A$29", "=Summary!$B$24:$B$29")],
                             on: sheet, row: 17, column: 3)
    }

    func writeCampaigns(_ workbook: XLSXWorkbook, _ byCampaign: [String: [MessageRecord]]) {
        let sheet = workbook.addSheet("Campaigns")
        let headers = ["Campaign", "Name", "Template", "Language", "Created", "First sent", "Last update", "Total", "Sent", "Delivered",
                       "Read", "Failed", "Skipped", "Delivery rate", "Read rate", "Failure rate"]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([18, 26, 22, 9, 19, 19, 19, 9, 9, 10, 9, 9, 9, 12, 10, 12])
        sheet.freezeHeader()
        let ids = byCampaign.keys.sorted()
        for (i, id) in ids.enumerated() {
            let records = byCampaign[id] ?? []
            let c = CampaignCounts(records)
            let info = scope.campaigns[id]
            sheet.write(row: i + 1, [
                .text(id), .text(info?.name ?? ""), .text(info?.template ?? ""), .text(info?.language ?? ""),
                info?.createdAt.map { .date($0.shifted(to: scope.timeZone)) } ?? .empty,
                date(records.compactMap { $0.times[.sent] }.min()), date(records.flatMap { $0.times.values }.max()),
                .integer(c.total), .integer(c.sent), .integer(c.delivered), .integer(c.read), .integer(c.failed),
                .integer(c.skipped + c.cancelled), .percent(c.deliveryRate), .percent(c.readRate), .percent(c.failureRate),
            ])
        }
        sheet.autofilter(lastRow: ids.count, lastColumn: headers.count - 1)
    }

    func writeMessages(_ workbook: XLSXWorkbook, _ records: [MessageRecord]) {
        let sheet = workbook.addSheet("Messages")
        let headers = ["Phone", "Name", "Campaign", "Status", "Sent at", "Delivered at", "Read at", "Failed at",
                       "Message id", "Attempts", "Error code", "Error", "What to do"]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([16, 22, 18, 11, 20, 20, 20, 20, 40, 9, 11, 36, 60])
        sheet.freezeHeader()
        for (i, r) in records.enumerated() {
            sheet.write(row: i + 1, [
                .text(r.phone ?? ""), .text(r.name ?? ""), .text(r.campaign ?? ""), .text(r.status.rawValue),
                date(r.times[.sent]), date(r.times[.delivered]), date(r.times[.read]), date(r.times[.failed]), .text(r.wamid ?? ""),
                .integer(r.attempts), r.errorCode.map { .integer($0) } ?? .empty,
                .text(r.errorTitle ?? r.reason ?? ""), .text(r.errorCode.map { MetaErrorCatalog.entry(for: $0).explanation } ?? ""),
            ])
        }
        sheet.autofilter(lastRow: records.count, lastColumn: headers.count - 1)
    }

    func writeFailures(_ workbook: XLSXWorkbook, _ records: [MessageRecord]) {
        let sheet = workbook.addSheet("Failures")
        let headers = ["Error code", "Meta's title", "Messages", "Share of failures", "What it means and what to do", "What wabulk did"]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([11, 36, 10, 16, 80, 30])
        sheet.freezeHeader()
        let failed = records.filter { $0.status == .failed }
        let groups = Dictionary(grouping: failed) { $0.errorCode ?? -1 }
            .sorted { ($0.value.count, -$0.key) > ($1.value.count, -$1.key) }
        for (i, (code, list)) in groups.enumerated() {
            let entry = code >= 0 ? MetaErrorCatalog.entry(for: code) : nil
            let title = list.first?.errorTitle ?? entry?.title ?? ""
            sheet.write(row: i + 1, [
                code >= 0 ? .integer(code) : .text("none"), .text(title), .integer(list.count),
                .percent(failed.isEmpty ? 0 : Double(list.count) / Double(failed.count)),
                .text(entry?.explanation ?? "No answer from Meta (network error or timeout) after every retry; `wabulk campaign retry-failed` sends it again."),
                .text(Self.whatWabulkDid(entry?.action)),
            ])
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

    func writeTimeline(_ workbook: XLSXWorkbook, _ records: [MessageRecord]) {
        let sheet = workbook.addSheet("Timeline")
        sheet.write(row: 0, ["Hour", "Sent", "Delivered", "Read", "Failed"].map { .text($0) }, style: .header)
        sheet.setColumnWidths([19, 10, 10, 10, 10])
        sheet.freezeHeader()
        var hours: [Date: [Int]] = [:]
        let columns: [MessageStatus] = [.sent, .delivered, .read, .failed]
        for r in records {
            for (i, status) in columns.enumerated() {
                guard let when = r.times[status].flatMap(Timestamp.parse) else { continue }
                // Whole hours of local time, so a day's rows line up with the office clock.
                let local = when.shifted(to: scope.timeZone).timeIntervalSince1970
                let hour = Date(timeIntervalSince1970: (local / 3600).rounded(.down) * 3600)
                hours[hour, default: [0, 0, 0, 0]][i] += 1
            }
        }
        let sorted = hours.keys.sorted()
        for (i, hour) in sorted.enumerated() {
            let n = hours[hour]!
            sheet.write(row: i + 1, [.date(hour), .integer(n[0]), .integer(n[1]), .integer(n[2]), .integer(n[3])])
        }
        if !sorted.isEmpty {
            let last = sorted.count + 1
            workbook.insertChart(.line, title: "Messages per hour", series: ["B", "C", "D", "E"].enumerated().map { i, col in
                (["Sent", "Delivered", "Read", "Failed"][i], "=Timeline!$A$2:$A$\(last)", "=Timeline!$\(col)$2:$\(col)$\(last)")
            }, on: sheet, row: 1, column: 6)
        }
    }

    func writeCost(_ workbook: XLSXWorkbook, _ records: [MessageRecord]) {
        let sheet = workbook.addSheet("Cost")
        let headers = ["Pricing category", "Country code", "Billable messages", "Rate", "Estimated cost"]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([18, 13, 17, 10, 15])
        sheet.freezeHeader()
        // Once per message: Meta reports pricing on sent and again on delivered or read.
        var lines: [String: (category: String, code: String, count: Int, rate: Double?)] = [:]
        for r in records {
            guard let category = r.pricingCategory, let phone = r.phone else { continue }
            let match = scope.rateCard.rate(category: category, phone: phone)
            let code = match?.countryCode ?? "other"
            let key = "\(category)|\(code)"
            lines[key, default: (category, code, 0, match?.rate)].count += 1
        }
        let sorted = lines.values.sorted { ($0.category, $0.code) < ($1.category, $1.code) }
        var total = 0.0, billable = 0
        for (i, line) in sorted.enumerated() {
            let cost = line.rate.map { Double(line.count) * $0 }
            total += cost ?? 0
            billable += line.count
            sheet.write(row: i + 1, [.text(line.category), .text(line.code), .integer(line.count),
                                     line.rate.map { .money($0) } ?? .text("no rate"), cost.map { .money($0) } ?? .empty])
        }
        sheet.write(row: sorted.count + 1, [.text("Total"), .empty, .integer(billable), .empty, .money(total)], style: .header)
    }
}

extension Date {
    /// Excel dates have no zone: shift so the serial shows local wall-clock time.
    func shifted(to zone: TimeZone) -> Date { addingTimeInterval(TimeInterval(zone.secondsFromGMT(for: self))) }
}
