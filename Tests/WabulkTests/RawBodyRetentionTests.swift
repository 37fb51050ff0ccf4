import EventLog
import Foundation
import Testing
import WabulkBase

/// Webhook bodies as received are blanked after `rawWebhookRetentionDays`, in place: the events, every
/// other byte and every offset stay, so a follower's saved place still points at the same line.
@Suite struct RawBodyRetentionTests {
    @Test func oldBodiesAreBlankedInPlaceAndEverythingElseStays() async throws {
        let dir = TempDir()
        let now = try #require(Timestamp.parse("2026-12-05T10:00:00.000Z"))
        let old = now.addingTimeInterval(-40 * 86_400)
        let recent = now.addingTimeInterval(-5 * 86_400)
        let body =
            #"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"contacts":[{"profile":{"name":"Priya \"P\" Sharma 😀"}}],"messages":[{"text":{"body":"call me\nback"}}]}}]}]}"#
        let writer = EventLogWriter(directory: dir.url)
        try await writer.append([
            MessageEvent(kind: .webhook, time: old, source: "webhook", raw: body),
            MessageEvent(kind: .inbound, time: old, phone: "+919876543210", reason: "call me back", source: "webhook"),
        ])
        writer.close()
        let oldFile = dir.url.appendingPathComponent("events-\(Timestamp.day(old)).jsonl")
        let before = try Data(contentsOf: oldFile)
        // A follower read the first line and saved its place.
        let place = EventLogTail.Position(file: oldFile.lastPathComponent, offset: UInt64(before.firstIndex(of: 0x0A)! + 1))
        try await writer.append([MessageEvent(kind: .webhook, time: recent, source: "webhook", raw: body)])
        writer.close()
        let recentFile = dir.url.appendingPathComponent("events-\(Timestamp.day(recent)).jsonl")
        let recentBefore = try Data(contentsOf: recentFile)

        let retention = RawBodyRetention(directory: dir.url, days: 30)
        #expect(try retention.apply(now: now) == 1)
        let after = try Data(contentsOf: oldFile)
        #expect(after.count == before.count)
        #expect(!String(decoding: after, as: UTF8.self).contains("Priya"))
        let lines = String(decoding: after, as: UTF8.self).split(separator: "\n")
        let webhook = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(webhook["kind"] as? String == "webhook")
        #expect((webhook["raw"] as? String)?.allSatisfy { $0 == " " } == true)
        #expect((webhook["raw"] as? String)?.isEmpty == false)
        // The event line is byte for byte what it was, and the newer file is untouched.
        #expect(lines[1] == String(decoding: before, as: UTF8.self).split(separator: "\n")[1])
        #expect(try Data(contentsOf: recentFile) == recentBefore)
        // The follower's place still works: the next line it reads is the inbound event.
        var tail = EventLogTail(directory: dir.url, from: place)
        let next = tail.next()
        #expect(next.map(\.kind) == [.inbound, .webhook])
        #expect(next.first?.reason == "call me back")
        // Each file is read once.
        #expect(try retention.apply(now: now) == 0)
        #expect(try retention.apply(now: now.addingTimeInterval(30 * 86_400)) == 1)
    }
}
