import EventLog
import Foundation
import Logging
import Testing
import WabulkBase

@testable import Reports

@Suite struct ReportTests {
    /// 2026-09-21 14:13:20 UTC; the report is shown in Asia/Kolkata (UTC+5:30).
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    /// A known log: duplicates, out-of-order statuses, read without delivered, failures with two codes,
    /// a skipped message, two campaigns, pricing on sent and again on delivered (counted once).
    static func events() -> [MessageEvent] {
        func e(
            _ s: MessageStatus,
            _ job: String?,
            campaign: String = "spring",
            wamid: String? = nil,
            name: String? = nil,
            code: Int? = nil,
            pricing: String? = nil,
            phone: String? = nil,
            _ offset: Int
        ) -> MessageEvent {
            MessageEvent(
                time: t0.addingTimeInterval(TimeInterval(offset)),
                status: s,
                campaign: job == nil ? nil : campaign,
                job: job,
                phone: phone ?? (job == nil ? nil : "+91987650000\(job!.suffix(1))"),
                name: name,
                wamid: wamid,
                attempt: job == nil ? nil : 1,
                errorCode: code,
                errorTitle: code == nil ? nil : (code == 131026 ? "Message undeliverable" : "User stopped marketing"),
                metaTime: job == nil ? Int(t0.timeIntervalSince1970) + offset : nil,
                pricingCategory: pricing,
                pricingType: pricing == nil ? nil : "regular",
                source: job == nil ? "webhook" : "dispatch"
            )
        }
        return [
            e(.queued, "spring.1", name: "=HYPERLINK(\"http://x\",\"y\")", 0), e(.sent, "spring.1", wamid: "w1", 1),
            e(.read, nil, wamid: "w1", pricing: "marketing", 5),  // read without delivered
            e(.queued, "spring.2", name: "Bala", 0), e(.sent, "spring.2", wamid: "w2", 1),
            e(.delivered, nil, wamid: "w2", pricing: "marketing", 3), e(.delivered, nil, wamid: "w2", pricing: "marketing", 3),  // a duplicate
            e(.queued, "spring.3", name: "Chitra", 0), e(.failed, "spring.3", code: 131026, 1),
            e(.queued, "spring.4", name: "Dev", 0), e(.sent, "spring.4", wamid: "w4", 1),
            e(.delivered, nil, wamid: "w4", pricing: "marketing", 4), e(.sent, nil, wamid: "w4", pricing: "marketing", 2),  // out of order
            e(.skipped, "spring.5", 0),
            e(.queued, "spring.6", name: "Farah", 0), e(.sent, "spring.6", wamid: "w6", 2),
            e(.failed, nil, wamid: "w6", code: 131050, 3700),  // failed after sent, an hour later
            e(.queued, "autumn.1", campaign: "autumn", name: "Gita", phone: "+14155550100", 0),
            e(.sent, "autumn.1", campaign: "autumn", wamid: "w7", phone: "+14155550100", 7200),
            e(.delivered, nil, wamid: "w7", pricing: "utility", 7300),
        ]
    }

    static let scope = ReportScope(
        timeZone: TimeZone(identifier: "Asia/Kolkata")!,
        campaigns: [
            "spring": .init(id: "spring", name: "Spring sale", template: "spring_offer", language: "en_US", createdAt: t0.addingTimeInterval(-60)),
            "autumn": .init(id: "autumn", name: "Autumn notice", template: "order_update", language: "en_US", createdAt: nil),
        ],
        rateCard: RateCard(parsing: "marketing:91=0.0107,marketing=0.025,utility=0.004")!
    )

    @Test func everySheetHoldsTheFoldedNumbers() async throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("r.xlsx")
        try CampaignReport(ledger: MessageLedger(events: Self.events()), scope: Self.scope).write(to: out, generatedAt: Self.t0)
        let book = try await readXLSX(out.path)
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(".r.xlsx.tmp").path))
        #expect(Array(book.keys).sorted() == ["Campaigns", "Cost", "Failures", "Messages", "Replies", "Summary", "Timeline", "__charts__"])
        // Funnel and status split on Summary, messages per hour on Timeline: native charts in the file.
        #expect(book["__charts__"] == [["xl/charts/chart1.xml"], ["xl/charts/chart2.xml"], ["xl/charts/chart3.xml"]])

        let summary = try #require(book["Summary"])
        let values = Dictionary(summary.filter { $0.count >= 2 && !$0[0].isEmpty }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
        #expect(values["Campaign"] == "autumn, spring")
        #expect(values["Template"] == "order_update (en_US), spring_offer (en_US)")
        #expect(values["Period"] == "all time")
        #expect(values["Generated"] == "2026-09-21T19:43:20")  // local time, as a real date
        #expect(values["First sent"] == "2026-09-21T19:43:21")
        #expect(values["Total"] == "6")
        #expect(values["Sent"] == "5")
        #expect(values["Delivered"] == "4")
        #expect(values["Read"] == "1")
        #expect(values["Failed"] == "2")
        #expect(values["Skipped"] == "1")
        #expect(values["Delivery rate"] == String(4.0 / 6.0))
        #expect(values["Read rate"] == "0.25")
        #expect(values["Failure rate"] == String(2.0 / 6.0))
        #expect(values["Delivered, not read"] == "3")
        #expect(values["Sent, not delivered"] == "1")

        let campaigns = try #require(book["Campaigns"])
        #expect(campaigns.count == 3)
        #expect(campaigns[1].prefix(5) == ["autumn", "Autumn notice", "order_update", "en_US", ""])
        #expect(Array(campaigns[1][7...12]) == ["1", "1", "1", "0", "0", "0"])
        #expect(campaigns[2].prefix(5) == ["spring", "Spring sale", "spring_offer", "en_US", "2026-09-21T19:42:20"])
        #expect(Array(campaigns[2][7...12]) == ["5", "4", "3", "1", "2", "1"])
        #expect(campaigns[2][13] == "0.6")

        let messages = try #require(book["Messages"])
        #expect(messages.count == 8)  // header + 7 messages
        #expect(messages[0].prefix(4) == ["Phone", "Name", "Campaign", "Status"])
        let first = try #require(messages.first { $0[2] == "spring" && $0[0] == "+919876500001" })
        #expect(first[1] == "=HYPERLINK(\"http://x\",\"y\")")  // text, never a formula
        #expect(first[3] == "read")
        #expect(first[5] == first[6])  // delivered time taken from read
        let four = try #require(messages.first { $0[0] == "+919876500004" })
        #expect(four[3] == "delivered")
        #expect(four[4] == "2026-09-21T19:43:21")  // the first time "sent" was seen; the late duplicate changes nothing
        let six = try #require(messages.first { $0[0] == "+919876500006" })
        #expect(six[3] == "failed")
        #expect(six[10] == "131050")

        let failures = try #require(book["Failures"])
        #expect(failures.count == 3)
        #expect(failures[1].prefix(4) == ["131026", "Message undeliverable", "1", "0.5"])
        #expect(failures[1][4].hasPrefix("The number is not on WhatsApp"))
        #expect(failures[1][5] == "failed the message, no retry")
        #expect(failures[2].prefix(3) == ["131050", "User stopped marketing", "1"])

        let timeline = try #require(book["Timeline"])
        // Local hours 19:00, 20:00, 21:00: sent/delivered/read/failed per hour.
        #expect(
            timeline.map { Array($0.prefix(5)) } == [
                ["Hour", "Sent", "Delivered", "Read", "Failed"],
                ["2026-09-21T19:00:00", "4", "3", "1", "1"],
                ["2026-09-21T20:00:00", "0", "0", "0", "1"],
                ["2026-09-21T21:00:00", "1", "1", "0", "0"],
            ]
        )

        let cost = try #require(book["Cost"])
        #expect(
            cost.map { Array($0.prefix(5)) } == [
                ["Pricing category", "Country code", "Billable messages", "Rate", "Estimated cost"],
                ["marketing", "91", "3", "0.0107", String(3 * 0.0107)],
                ["utility", "other", "1", "0.004", "0.004"],
                ["Total", "", "4", "", String(3 * 0.0107 + 0.004)],
            ]
        )
    }

    /// LibreOffice (Debian's libreoffice-calc, another reader again) opens the workbook and prints it to PDF.
    @Test func libreOfficeConvertsTheReportToPDF() async throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("report.xlsx")
        try CampaignReport(ledger: MessageLedger(events: Self.events()), scope: Self.scope).write(to: out, generatedAt: Self.t0)
        let converted = try await runProcess(
            python3,
            [
                "soffice", "-env:UserInstallation=file://\(dir.url.path)/profile", "--headless",
                "--convert-to", "pdf", "--outdir", dir.url.path, out.path,
            ]
        )
        #expect(converted.status == 0, "\(converted.stderr)")
        let pdf = try Data(contentsOf: dir.url.appendingPathComponent("report.pdf"))
        #expect(pdf.prefix(5) == Data("%PDF-".utf8))
        #expect(pdf.count > 10_000)
    }

    @Test func aPeriodAndACampaignNarrowTheReport() async throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("r.xlsx")
        var scope = Self.scope
        scope.campaign = "spring"
        scope.from = Self.t0.addingTimeInterval(3600)  // only spring.6's late failure falls after this… but its first step is at t0
        let narrowed = CampaignReport(ledger: MessageLedger(events: Self.events()), scope: scope)
        #expect(narrowed.counts.total == 0)
        scope.from = Self.t0
        scope.to = Self.t0.addingTimeInterval(1)
        let firstSecond = CampaignReport(ledger: MessageLedger(events: Self.events()), scope: scope)
        // spring.1–.6 all start at t0 (spring.6 fails an hour later but started then); the skipped one is not
        // in the total but is listed.
        #expect(firstSecond.counts.total == 5)
        try firstSecond.write(to: out, generatedAt: Self.t0)
        let book = try await readXLSX(out.path)
        #expect(book["Messages"]?.count == 7)
        #expect(book["Campaigns"]?.count == 2)
    }

    /// More messages than a sheet holds (Excel's 1,048,576 rows; three here) go on in "Messages 2", "Messages 3"
    /// right after the first, each with the header, every message once: none is dropped at the limit.
    @Test func messagesPastASheetsRowsGoOnInTheNextSheet() async throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("r.xlsx")
        var report = CampaignReport(ledger: MessageLedger(events: Self.events()), scope: Self.scope)
        report.rowsPerSheet = 3
        let total = report.counts
        try report.write(to: out, generatedAt: Self.t0)
        let book = try await readXLSX(out.path)
        let sheets = book.keys.filter { $0.hasPrefix("Messages") }.sorted()
        let rows = total.total + total.skipped + total.cancelled
        #expect(sheets == ["Messages"] + (2...((rows + 2) / 3)).map { "Messages \($0)" })
        for name in sheets { #expect(book[name]?.first?.first == "Phone", "\(name)") }
        #expect(sheets.dropLast().allSatisfy { book[$0]?.count == 4 })
        let listed = sheets.flatMap { book[$0]!.dropFirst().map { $0[0] + " " + $0[2] + " " + $0[3] } }
        #expect(listed.count == rows && rows > 6)
        var whole = CampaignReport(ledger: MessageLedger(events: Self.events()), scope: Self.scope)
        whole.rowsPerSheet = 1_000
        let single = dir.url.appendingPathComponent("one.xlsx")
        try whole.write(to: single, generatedAt: Self.t0)
        let one = try await readXLSX(single.path)
        #expect(one.keys.filter { $0.hasPrefix("Messages") } == ["Messages"])
        #expect(one["Messages"]!.dropFirst().map { $0[0] + " " + $0[2] + " " + $0[3] } == listed)
    }
}

@Suite struct ScheduledReportTests {
    @Test func dailyAndIntervalRunsFallOnTheConfiguredClockTimes() {
        let kolkata = TimeZone(identifier: "Asia/Kolkata")!
        let daily = ReportSchedule(dailyAt: (8, 0), everyHours: 0, timeZone: kolkata)
        // 2026-11-28 03:00 UTC is 08:30 in Kolkata: the next 08:00 there is tomorrow, 02:30 UTC.
        let now = Date(timeIntervalSince1970: 1_795_834_800)
        #expect(Timestamp.format(now) == "2026-11-28T03:00:00.000Z")
        let next = daily.nextRun(after: now)
        #expect(next.map { Timestamp.format($0.at) } == "2026-11-29T02:30:00.000Z")
        #expect(next.map { Timestamp.format($0.from) } == "2026-11-28T02:30:00.000Z")
        let both = ReportSchedule(dailyAt: (8, 0), everyHours: 6, timeZone: kolkata)
        #expect(both.nextRun(after: now).map { Timestamp.format($0.at) } == "2026-11-28T06:00:00.000Z")
        #expect(both.nextRun(after: now).map { Timestamp.format($0.from) } == "2026-11-28T00:00:00.000Z")
        #expect(ReportSchedule(dailyAt: nil, everyHours: 0, timeZone: kolkata).nextRun(after: now) == nil)
        #expect(ReportSchedule.parseTime("08:00")! == (8, 0))
        #expect(ReportSchedule.parseTime("8") == nil)
    }

    @Test func aRunWritesASummaryAndOneReportPerActiveCampaignWithSortableNames() async throws {
        let dir = TempDir()
        let home = dir.home
        try home.create()
        let writer = EventLogWriter(directory: home.log)
        try await writer.append(ReportTests.events(), durable: false)
        writer.close()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = ScheduledReports(
            schedule: ReportSchedule(dailyAt: nil, everyHours: 1, timeZone: .gmt),
            home: home,
            scope: { campaign, from, to in
                var scope = ReportTests.scope
                scope.campaign = campaign
                scope.from = from
                scope.to = to
                return scope
            },
            mailing: nil,
            logger: logger
        )
        // Every message of both campaigns was queued in the hour from t0.
        let run = ReportSchedule.Run(at: ReportTests.t0.addingTimeInterval(3600), from: ReportTests.t0)
        let written = try service.write(run)
        #expect(
            written.map(\.path.lastPathComponent) == [
                "2026-09-21T151320-summary.xlsx", "2026-09-21T151320-autumn.xlsx", "2026-09-21T151320-spring.xlsx",
            ]
        )
        #expect(written.map(\.counts.total) == [6, 1, 5])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: home.reports.path).sorted()
                == ["2026-09-21T151320-autumn.xlsx", "2026-09-21T151320-spring.xlsx", "2026-09-21T151320-summary.xlsx"]
        )
        // The hour after holds no first step: only the (empty) summary is written.
        let later = try service.write(ReportSchedule.Run(at: ReportTests.t0.addingTimeInterval(7200), from: ReportTests.t0.addingTimeInterval(3600)))
        #expect(later.map(\.counts.total) == [0])
        let book = try await readXLSX(written[0].path.path)
        #expect(book["Summary"]?.first { $0.first == "Period" }?[1] == "2026-09-21 19:43 to 2026-09-21 20:43")
    }
}
