import Foundation
import Testing
import WabulkBase

@testable import EventLog

/// Days of a log as the daemon writes them, for the tests of logs that age: each day's campaign planned at
/// 09:00 and sent over the day (queued, sending, sent), Meta's webhooks (raw body and parsed statuses,
/// with pricing), a failure in 17, a read for every third message (half of them 16 hours later, so after
/// midnight), a reply for every twentieth, statuses that name only Meta's id, an account update each
/// morning, and one campaign that runs over three days.
enum LogHistory {
    static func dayStart(_ start: Date, _ day: Int) -> Date { start.addingTimeInterval(Double(day) * 86_400) }

    static func events(days: Int, perDay: Int, start: Date) -> [MessageEvent] {
        var events: [MessageEvent] = []
        for day in 0..<days {
            let morning = dayStart(start, day)
            events.append(
                MessageEvent(
                    kind: .accountUpdate,
                    time: morning.addingTimeInterval(8 * 3600),
                    errorDetails: "quality: GREEN",
                    reason: "phone_number",
                    source: "graph",
                    messagingLimit: 100_000
                )
            )
            let campaign = "day\(day)"
            for i in 0..<perDay {
                events += message(
                    campaign: campaign,
                    seq: i + 1,
                    day: day,
                    i: i,
                    queuedAt: morning.addingTimeInterval(9 * 3600),
                    sendAt: morning.addingTimeInterval(9 * 3600 + Double(i) * 5)
                )
            }
            // A campaign planned on day 1 whose sends run into day 3.
            if day == 1 {
                for i in 0..<perDay {
                    events += message(
                        campaign: "long",
                        seq: i + 1,
                        day: 1,
                        i: i + 100_000,
                        queuedAt: morning.addingTimeInterval(10 * 3600),
                        sendAt: morning.addingTimeInterval(10 * 3600 + Double(i) * 86_400 * 1.5 / Double(perDay))
                    )
                }
            }
        }
        return events.sorted { $0.time < $1.time }
    }

    static func message(campaign: String, seq: Int, day: Int, i: Int, queuedAt: Date, sendAt: Date) -> [MessageEvent] {
        let job = "\(campaign).\(String(repeating: "0", count: 7 - String(seq).count))\(seq)"
        let phone = "+9198\(String(format: "%08d", day * 1_000_000 + i))"
        let wamid = "wamid.HBgM\(day)x\(i)"
        var e: [MessageEvent] = [
            MessageEvent(
                time: queuedAt,
                status: .queued,
                campaign: campaign,
                job: job,
                phone: phone,
                name: "Person \(i) of day \(day)",
                source: "campaign"
            ),
            MessageEvent(time: sendAt, status: .sending, campaign: campaign, job: job, phone: phone, attempt: 1, source: "dispatch"),
            MessageEvent(
                time: sendAt.addingTimeInterval(0.3),
                status: .sent,
                campaign: campaign,
                job: job,
                phone: phone,
                wamid: wamid,
                attempt: 1,
                source: "dispatch"
            ),
        ]
        func webhook(_ status: MessageStatus, after seconds: Double, joined: Bool = true) {
            let at = sendAt.addingTimeInterval(seconds)
            let meta = Int(at.timeIntervalSince1970) - 1
            let raw =
                #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"\#(wamid)","status":"\#(status.rawValue)","timestamp":"\#(meta)","recipient_id":"\#(phone.dropFirst())","biz_opaque_callback_data":"\#(job)","conversation":{"id":"c\#(day)x\#(i)","origin":{"type":"marketing"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"marketing","type":"regular"}}]},"field":"messages"}]}]}"#
            e.append(MessageEvent(kind: .webhook, time: at, source: "webhook", raw: raw))
            e.append(
                MessageEvent(
                    time: at,
                    status: status,
                    job: joined ? job : nil,
                    phone: phone,
                    wamid: wamid,
                    errorCode: status == .failed ? 131026 : nil,
                    errorTitle: status == .failed ? "Message undeliverable" : nil,
                    metaTime: meta,
                    pricingCategory: status == .failed ? nil : "marketing",
                    pricingType: status == .failed ? nil : "regular",
                    source: "webhook",
                    failure: status == .failed ? .meta : nil
                )
            )
        }
        webhook(.sent, after: 1)
        if i % 17 == 0 {
            webhook(.failed, after: 3)
            return e
        }
        // Every fiftieth delivery names the message by Meta's id alone (joined through the sent line).
        webhook(.delivered, after: 3, joined: i % 50 != 1)
        if i % 3 == 0 {
            let later = i % 2 == 0 ? 600.0 : 16 * 3600.0
            webhook(.read, after: later)
            if i % 20 == 0 {
                e.append(
                    MessageEvent(
                        kind: .inbound,
                        time: sendAt.addingTimeInterval(later + 60),
                        phone: phone,
                        wamid: "wamid.in\(day)x\(i)",
                        reason: "Thanks, is the offer on till Sunday?",
                        source: "webhook",
                        replyTo: wamid
                    )
                )
            }
        }
        return e
    }

    /// Writes the events as the writer would have, a day's file at a time in time order.
    static func write(_ events: [MessageEvent], to directory: URL) async throws {
        let writer = EventLogWriter(directory: directory)
        var batch: [MessageEvent] = []
        for e in events {
            if let first = batch.first, first.time.prefix(10) != e.time.prefix(10) || batch.count >= 500 {
                try await writer.append(batch, durable: false)
                batch = []
            }
            batch.append(e)
        }
        if !batch.isEmpty { try await writer.append(batch, durable: false) }
        writer.close()
    }

    /// Every day's bytes as a reader sees them (plain or compressed), by file name.
    static func contents(of directory: URL) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for file in EventLogReader(directory: directory).files() {
            let source = try #require(LogSource(file))
            var bytes = [UInt8](repeating: 0, count: Int(source.size))
            let n = bytes.withUnsafeMutableBytes { source.read(into: $0.baseAddress!, count: $0.count, at: 0) }
            #expect(n == bytes.count)
            out[file.lastPathComponent] = bytes
        }
        return out
    }
}
