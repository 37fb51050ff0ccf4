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
    /// Messages rows a sheet holds: Excel's 1,048,576 rows less the header. A report of more messages goes
    /// on in "Messages 2", "Messages 3" …, right after the first (libxlsxwriter refuses rows past the limit,
    /// which would drop them silently).
    var rowsPerSheet = 1_048_575

    public init(ledger: MessageLedger, scope: ReportScope) {
        self.ledger = ledger
        self.scope = scope
    }

    public init(ledger: MessageLedger, campaign: String? = nil, timeZone: TimeZone = .gmt) {
        self.init(ledger: ledger, scope: ReportScope(campaign: campaign, timeZone: timeZone))
    }

    public var campaign: String? { scope.campaign }

    /// The counts in scope, without writing anything (a pass over the ledger that reads no text back).
    public var counts: CampaignCounts {
        var group = Group()
        ledger.forEach(campaign: scope.campaign, texts: false) { m in if scope.includes(m) { group.add(m) } }
        return group.counts
    }

    /// What a written report counted: all messages in scope, and the campaigns they belong to.
    public struct Outcome: Sendable {
        public var counts: CampaignCounts
        public var campaignIDs: [String]
    }

    /// Counts, first send and last update of a set of messages.
    struct Group {
        var counts = CampaignCounts()
        var firstSent: Int?
        var lastEvent: Int?

        mutating func add(_ m: MessageLedger.Message) {
            counts.add(m)
            if let t = m.sentAt, firstSent.map({ t < $0 }) ?? true { firstSent = t }
            if let t = m.lastSeen, lastEvent.map({ t > $0 }) ?? true { lastEvent = t }
        }
    }

    /// Everything the sheets other than Messages show, gathered while the Messages rows are written.
    struct Totals {
        var all = Group()
        var byCampaign: [String: Group] = [:]
        /// Failed messages by error code (-1: none), with the first title seen.
        var failures: [Int: (count: Int, title: String?)] = [:]
        var failed = 0
        /// Messages not sent because their number opted out or was removed.
        var notSentOptedOut = 0
        /// Local hour → sent, delivered, read, failed.
        var hours: [Int: [Int]] = [:]
        var cost: [String: (category: String, code: String, count: Int, rate: Double?)] = [:]
        /// Messages Meta reported as free (pricing type other than `regular`), by category and type.
        var free: [String: (category: String, type: String, count: Int)] = [:]

        var campaignIDs: [String] { byCampaign.keys.filter { !$0.isEmpty }.sorted() }

        mutating func add(_ m: MessageLedger.Message, scope: ReportScope, offsets: inout ZoneOffsets) {
            all.add(m)
            byCampaign[m.campaign ?? "", default: Group()].add(m)
            if m.status == .skipped, m.skippedBySuppression { notSentOptedOut += 1 }
            if m.status == .failed {
                failed += 1
                let code = m.errorCode ?? -1
                var group = failures[code] ?? (0, m.errorTitle)
                group.count += 1
                failures[code] = group
            }
            for (i, t) in [m.sentAt, m.deliveredAt, m.readAt, m.failedAt].enumerated() {
                guard let t else { continue }
                // Whole hours of local time, so a day's rows line up with the office clock.
                let local = t + offsets.offset(at: t)
                hours[local - ((local % 3600) + 3600) % 3600, default: [0, 0, 0, 0]][i] += 1
            }
            // Once per message: Meta reports pricing on sent and again on delivered or read.
            // Per-message pricing: only `regular` is charged; older payloads without a type counted as charged.
            if let category = m.pricingCategory, let type = m.pricingType?.lowercased(), type != "regular" {
                free["\(category)|\(type)", default: (category, type, 0)].count += 1
            } else if let category = m.pricingCategory, let phone = m.phone {
                let match = scope.rateCard.rate(category: category, phone: phone)
                let code = match?.countryCode ?? "other"
                cost["\(category)|\(code)", default: (category, code, 0, match?.rate)].count += 1
            }
        }
    }

    /// Writes to a temp file beside `path` and renames it, so nobody opens a half-written report. One pass
    /// over the ledger: the Messages rows are written (constant memory: each sheet streams to its own temp
    /// file, so the sheets before it can be filled afterwards) while the other sheets' numbers are gathered.
    @discardableResult
    public func write(to path: URL, generatedAt: Date = Date()) throws -> Outcome {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = path.deletingLastPathComponent().appendingPathComponent(".\(path.lastPathComponent).tmp")
        let workbook = try XLSXWorkbook(path: temp.path)
        let summary = workbook.addSheet("Summary")
        let campaigns = workbook.addSheet("Campaigns")
        var included = 0
        ledger.forEach(campaign: scope.campaign, texts: false) { m in if scope.includes(m) { included += 1 } }
        let messages = (0..<max(1, (included + rowsPerSheet - 1) / rowsPerSheet)).map {
            workbook.addSheet($0 == 0 ? "Messages" : "Messages \($0 + 1)")
        }
        let failures = workbook.addSheet("Failures")
        let timeline = workbook.addSheet("Timeline")
        let cost = workbook.addSheet("Cost")
        let replies = workbook.addSheet("Replies")
        let totals = writeMessages(messages)
        writeSummary(summary, workbook, totals, generatedAt: generatedAt)
        writeCampaigns(campaigns, totals)
        writeFailures(failures, totals)
        writeTimeline(timeline, workbook, totals)
        writeCost(cost, totals)
        writeReplies(replies)
        if let id = scope.campaign, let variants = scope.campaigns[id]?.variants, variants.count >= 2 {
            writeVariants(workbook.addSheet("Variants"), campaign: id, variants: variants)
        }
        try workbook.close()
        guard rename(temp.path, path.path) == 0 else { throw FileError.cannotMove(from: temp.path, to: path.path, errno: errno) }
        return Outcome(counts: totals.all.counts, campaignIDs: totals.campaignIDs)
    }

    func date(_ unix: Int?) -> XLSXSheet.Cell {
        unix.map { .date(Date(timeIntervalSince1970: TimeInterval($0)).shifted(to: scope.timeZone)) } ?? .empty
    }

    func writeSummary(_ sheet: XLSXSheet, _ workbook: XLSXWorkbook, _ totals: Totals, generatedAt: Date) {
        let c = totals.all.counts
        sheet.setColumnWidths([28, 22, 4, 4])
        sheet.fitToOnePageWide()
        let ids = totals.campaignIDs
        let infos = ids.compactMap { scope.campaigns[$0] }
        sheet.write(row: 0, [.text("wabulk report")], style: .title)
        sheet.write(row: 1, [.text("Campaign"), .text(scope.campaign ?? (ids.isEmpty ? "none" : ids.joined(separator: ", ")))])
        sheet.write(row: 2, [.text("Template"), .text(Set(infos.map { "\($0.template) (\($0.language))" }).sorted().joined(separator: ", "))])
        sheet.write(row: 3, [.text("Period"), .text(scope.periodText)])
        sheet.write(row: 4, [.text("First sent"), date(totals.all.firstSent)])
        sheet.write(row: 5, [.text("Last update"), date(totals.all.lastEvent)])
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
        sheet.write(row: 10 + rows.count, [.text("Not sent: opted out or removed"), .integer(totals.notSentOptedOut)])
        sheet.write(row: 11 + rows.count, [.text("Held back by Meta (marketing experiment)"), .integer(c.heldBack)])
        // Rows 11–15 are Total…Read (the funnel); 16–17 Failed and Skipped, with Delivered and Read, split the outcome.
        workbook.insertChart(
            .column,
            title: "Funnel",
            series: [("Messages", "=Summary!$A$11:$A$15", "=Summary!$B$11:$B$15")],
            on: sheet,
            row: 1,
            column: 3
        )
        sheet.write(row: 22, [.text("Status split"), .text("Messages")], style: .header)
        let split: [(String, Int)] = [
            ("Read", c.read), ("Delivered, not read", c.delivered - c.read), ("Sent, not delivered", c.sent - c.delivered),
            ("Failed", c.failed), ("Waiting", c.queued + c.sending + c.deferred), ("Skipped", c.skipped + c.cancelled),
        ]
        for (i, (label, n)) in split.enumerated() { sheet.write(row: 23 + i, [.text(label), .integer(n)]) }
        workbook.insertChart(
            .pie,
            title: "Status split",
            series: [("Messages", "=Summary!$A$24:$A$29", "=Summary!$B$24:$B$29")],
            on: sheet,
            row: 17,
            column: 3
        )
        writeAccountHistory(sheet, totals, row: 32)
    }

    /// Meta's word on the account while these messages went (the messaging limit, the number's quality, the
    /// account's standing): what explains a campaign that slowed, waited or stopped. The report's period, or
    /// for a campaign from a day before its first send to its last update.
    func writeAccountHistory(_ sheet: XLSXSheet, _ totals: Totals, row: Int) {
        let from = scope.from ?? totals.all.firstSent.map { Date(timeIntervalSince1970: TimeInterval($0) - 86_400) }
        let to = scope.to ?? totals.all.lastEvent.map { Date(timeIntervalSince1970: TimeInterval($0 + 1)) }
        let history = ledger.accountUpdates.filter { e in
            guard let at = e.date else { return false }
            return (from.map { at >= $0 } ?? true) && (to.map { at < $0 } ?? true)
        }
        sheet.write(row: row, [.text("Account (Meta)"), .text("Change")], style: .header)
        guard !history.isEmpty else {
            sheet.write(row: row + 1, [.text("none in this period"), .empty])
            return
        }
        for (i, e) in history.enumerated() {
            var what = [e.reason ?? "update", e.errorTitle].compactMap { $0 }.joined(separator: " ")
            if let limit = e.messagingLimit { what += ": messaging limit " + MessagingLimit(eventValue: limit).description }
            if let details = e.errorDetails { what += " (\(details))" }
            if e.source == EventSource.graph.rawValue { what += " [read from the phone number]" }
            sheet.write(row: row + 1 + i, [e.date.map { .date($0.shifted(to: scope.timeZone)) } ?? .empty, .text(what)])
        }
    }

    func writeCampaigns(_ sheet: XLSXSheet, _ totals: Totals) {
        let headers = [
            "Campaign", "Name", "Template", "Language", "Created", "First sent", "Last update", "Total", "Sent", "Delivered",
            "Read", "Failed", "Skipped", "Delivery rate", "Read rate", "Failure rate",
        ]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([18, 26, 22, 9, 19, 19, 19, 9, 9, 10, 9, 9, 9, 12, 10, 12])
        sheet.freezeHeader()
        let ids = totals.byCampaign.keys.sorted()
        for (i, id) in ids.enumerated() {
            let group = totals.byCampaign[id]!
            let c = group.counts
            let info = scope.campaigns[id]
            sheet.write(
                row: i + 1,
                [
                    .text(id), .text(info?.name ?? ""), .text(info?.template ?? ""), .text(info?.language ?? ""),
                    info?.createdAt.map { .date($0.shifted(to: scope.timeZone)) } ?? .empty,
                    date(group.firstSent), date(group.lastEvent),
                    .integer(c.total), .integer(c.sent), .integer(c.delivered), .integer(c.read), .integer(c.failed),
                    .integer(c.skipped + c.cancelled), .percent(c.deliveryRate), .percent(c.readRate), .percent(c.failureRate),
                ]
            )
        }
        sheet.autofilter(lastRow: ids.count, lastColumn: headers.count - 1)
    }

    /// One row per message, streamed from the ledger: names and message ids are read back from the log
    /// as each row is written, so memory does not grow with the number of messages.
    func writeMessages(_ sheets: [XLSXSheet]) -> Totals {
        let headers = [
            "Phone", "Name", "Campaign", "Status", "Sent at", "Delivered at", "Read at", "Failed at",
            "Message id", "Attempts", "Error code", "Error", "What to do",
        ]
        for sheet in sheets {
            sheet.write(row: 0, headers.map { .text($0) }, style: .header)
            sheet.setColumnWidths([16, 22, 18, 11, 20, 20, 20, 20, 40, 9, 11, 36, 60])
            sheet.freezeHeader()
        }
        // Rows are built on a thread of their own and written here: building them (reading names and
        // message ids back from the log) and libxlsxwriter's work then run on both cores.
        let handoff = Handoff<(sheet: Int, rows: XLSXRowBatch), Totals>()
        let ledger = self.ledger
        let scope = self.scope
        let perSheet = rowsPerSheet
        let lastSheet = sheets.count - 1
        Thread {
            var totals = Totals()
            var offsets = ZoneOffsets(scope.timeZone)
            var batch = XLSXRowBatch()
            var sheet = 0
            var row = 0
            func serial(_ unix: Int?) -> Double? {
                unix.map { Double($0 + offsets.offset(at: $0)) / 86400 + 25569 }
            }
            ledger.forEach(campaign: scope.campaign) { m in
                guard scope.includes(m) else { return }
                totals.add(m, scope: scope, offsets: &offsets)
                if row == perSheet, sheet < lastSheet {
                    if batch.rows > 0 { handoff.put((sheet, batch)) }
                    batch = XLSXRowBatch()
                    sheet += 1
                    row = 0
                }
                row += 1
                batch.text(row, 0, m.phone ?? "")
                batch.text(row, 1, m.name ?? "")
                batch.text(row, 2, m.campaign ?? "")
                batch.text(row, 3, m.status.rawValue)
                batch.date(row, 4, serial: serial(m.sentAt))
                batch.date(row, 5, serial: serial(m.deliveredAt))
                batch.date(row, 6, serial: serial(m.readAt))
                batch.date(row, 7, serial: serial(m.failedAt))
                batch.text(row, 8, m.wamid ?? "")
                batch.integer(row, 9, m.attempts)
                batch.integer(row, 10, m.errorCode)
                batch.text(row, 11, m.errorTitle ?? m.reason ?? "")
                batch.text(row, 12, m.errorCode.map { MetaErrorCatalog.entry(for: $0).explanation } ?? "")
                batch.endRow()
                if batch.rows == 1024 {
                    handoff.put((sheet, batch))
                    batch = XLSXRowBatch()
                }
            }
            if batch.rows > 0 { handoff.put((sheet, batch)) }
            handoff.finish(totals)
        }.start()
        while true {
            switch handoff.take() {
            case .item(let batch): sheets[batch.sheet].write(batch.rows)
            case .done(let totals):
                let c = totals.all.counts
                let rows = c.total + c.skipped + c.cancelled
                for (i, sheet) in sheets.enumerated() {
                    sheet.autofilter(lastRow: max(1, min(perSheet, rows - i * perSheet)), lastColumn: headers.count - 1)
                }
                return totals
            }
        }
    }
}
