import Foundation
import Testing
import WabulkBase

@testable import EventLog

@Suite struct ParsedLogScannerTests {
    /// Quotes, backslashes, control bytes and non-ASCII at every position of an 8-byte word and past it:
    /// the field reader skips eight bytes at a time only while none of them needs a closer look.
    @Test func fieldsAreFoundWhereverEscapesFall() throws {
        for special in ["\"", "\\", "\n", "\u{1}", "é", "😀"] {
            for position in 0..<20 {
                let name = String(repeating: "a", count: position) + special + String(repeating: "b", count: 19 - position)
                let event = MessageEvent(
                    time: Date(timeIntervalSince1970: 1_790_000_000),
                    status: .queued,
                    campaign: "c",
                    job: "c.0000001",
                    phone: "+919800000001",
                    name: name,
                    source: "campaign"
                )
                var line: [UInt8] = []
                EventLine.append(event, to: &line)
                try line.withUnsafeBytes { raw in
                    let fields = try #require(EventFields.parse(raw))
                    #expect(EventFields.string(try #require(fields.name), in: raw) == name)
                    #expect(EventFields.string(try #require(fields.phone), in: raw) == "+919800000001")
                }
            }
        }
        // A raw control byte inside a value is not JSON.
        let bad = Array(#"{"kind":"status","name":"abcdefghij"#.utf8) + [0x01] + Array(#"k","status":"queued"}"#.utf8)
        bad.withUnsafeBytes { #expect(EventFields.parse($0) == nil) }
    }

    /// A log big enough to be parsed on a second thread folds to exactly what the same events fold to in memory.
    @Test func aBigLogFoldsTheSameOnTwoThreads() async throws {
        let dir = TempDir()
        let writer = EventLogWriter(directory: dir.url)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        var events: [MessageEvent] = []
        let rawBody = String(repeating: #"{\"statuses\":[]}"#, count: 150)
        // Longer than two of the second thread's 256 kB reads: such a line is read again into a bigger chunk.
        let hugeBody = String(repeating: #"{\"statuses\":[]}"#, count: 40_000)
        for i in 1...9_000 {
            let job = "big.\(String(format: "%07d", i))"
            let name = "Name \(i) \(i % 7 == 0 ? "\"quoted\" \\ é" : "plain")"
            events.append(
                MessageEvent(
                    time: t0,
                    status: .queued,
                    campaign: "big",
                    job: job,
                    phone: "+9198\(String(format: "%08d", i))",
                    name: name,
                    source: "campaign"
                )
            )
            events.append(
                MessageEvent(
                    time: t0.addingTimeInterval(1),
                    status: .sent,
                    campaign: "big",
                    job: job,
                    wamid: "wamid.\(i)",
                    attempt: 1,
                    source: "dispatch"
                )
            )
            if i % 3 == 0 {
                events.append(MessageEvent(kind: .webhook, time: t0.addingTimeInterval(2), source: "webhook", raw: i % 999 == 0 ? hugeBody : rawBody))
                events.append(
                    MessageEvent(
                        time: t0.addingTimeInterval(2),
                        status: i % 9 == 0 ? .read : .delivered,
                        job: job,
                        wamid: "wamid.\(i)",
                        metaTime: Int(t0.timeIntervalSince1970) + 2,
                        pricingCategory: "marketing",
                        pricingType: "regular",
                        source: "webhook"
                    )
                )
            }
        }
        try await writer.append(events)
        writer.close()
        let file = try #require(EventLogReader(directory: dir.url).files().first)
        // A crash mid-write leaves a torn last line: it is not folded.
        let torn = try FileHandle(forWritingTo: file)
        torn.seekToEndOfFile()
        torn.write(Data(#"{"attempt":1,"campaign":"big","job":"big.0009001","kind":"status","sou"#.utf8))
        try torn.close()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? UInt64)
        #expect(size > ParsedLogScanner.threadedFrom)
        let fromFiles = MessageLedger(logDirectory: dir.url)
        let fromMemory = MessageLedger(events: events)
        #expect(fromFiles.count == 9_000)
        // The first record that differs, not all 9,000 of both sides, if they ever do.
        let (files, memory) = (fromFiles.records(), fromMemory.records())
        #expect(files.count == memory.count)
        let firstDifference = zip(files, memory).first { $0 != $1 }
        #expect(firstDifference == nil)
        #expect(fromFiles.messages["big.0000007"]?.name == "Name 7 \"quoted\" \\ é")
        #expect(fromFiles.messages["big.0000009"]?.status == .read)
    }
}
