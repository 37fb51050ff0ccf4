import EventLog
import Foundation
import Reports
import Testing

@Suite struct ReportTests {
    @Test func theWorkbookHoldsTheFoldedNumbersAndFormulaLikeTextStaysText() throws {
        let dir = TempDir()
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        func e(_ s: MessageStatus, _ job: String?, wamid: String? = nil, name: String? = nil, code: Int? = nil, _ offset: Int) -> MessageEvent {
            MessageEvent(time: t0.addingTimeInterval(TimeInterval(offset)), status: s, campaign: job == nil ? nil : "spring", job: job,
                         phone: job == nil ? nil : "+91987650000\(job!.suffix(1))", name: name, wamid: wamid, attempt: job == nil ? nil : 1,
                         errorCode: code, errorTitle: code == nil ? nil : "Message undeliverable")
        }
        let events = [
            e(.queued, "spring.1", name: "=HYPERLINK(\"http://x\",\"y\")", 0), e(.sent, "spring.1", wamid: "w1", 1),
            e(.read, nil, wamid: "w1", 5),   // read without delivered
            e(.queued, "spring.2", name: "Bala", 0), e(.sent, "spring.2", wamid: "w2", 1), e(.delivered, nil, wamid: "w2", 3), e(.delivered, nil, wamid: "w2", 3),
            e(.queued, "spring.3", name: "Chitra", 0), e(.failed, "spring.3", code: 131026, 1),
            e(.queued, "spring.4", name: "Dev", 0), e(.sent, "spring.4", wamid: "w4", 1), e(.delivered, nil, wamid: "w4", 4), e(.sent, nil, wamid: "w4", 2),
            e(.skipped, "spring.5", 0),
        ]
        let out = dir.url.appendingPathComponent("r.xlsx")
        try CampaignReport(ledger: MessageLedger(events: events), campaign: "spring").write(to: out, generatedAt: t0)
        let book = try readXLSX(out.path)
        let summary = try #require(book["Summary"])
        let values = Dictionary(summary.filter { $0.count >= 2 }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
        #expect(values["Total"] == "4")
        #expect(values["Sent"] == "3")
        #expect(values["Delivered"] == "3")
        #expect(values["Read"] == "1")
        #expect(values["Failed"] == "1")
        #expect(values["Skipped"] == "1")
        #expect(values["Delivery rate"] == "0.75")
        #expect(values["Read rate"].flatMap(Double.init).map { abs($0 - 1.0 / 3.0) < 1e-9 } == true)
        #expect(values["Failure rate"] == "0.25")
        let messages = try #require(book["Messages"])
        #expect(messages.count == 6)   // header + 5 messages
        #expect(messages[0].prefix(4) == ["Phone", "Name", "Campaign", "Status"])
        let first = messages[1]
        #expect(first[1] == "=HYPERLINK(\"http://x\",\"y\")")
        #expect(first[3] == "read")
        #expect(first[5] == first[6])   // delivered time taken from read
        let failed = messages[3]
        #expect(failed[3] == "failed")
        #expect(failed[10] == "131026")
        #expect(failed[12].hasPrefix("The number is not on WhatsApp"))
        #expect(book["__charts__"] == [["xl/charts/chart1.xml"]])
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(".r.xlsx.tmp").path))
    }
}
