import EventLog
import Foundation
import Reports
import Testing
import WabulkBase
import WebhookListener

/// Customers' replies, from Meta's inbound shapes through the listener's parser and the log's fold to the
/// report's Replies sheet (read back with openpyxl): which campaign each answered, opt-outs left out.
@Suite struct RepliesReportTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    static let asha = "+919876500001"
    static let ravi = "+919876500002"

    /// Inbound messages as the listener logs them from Meta's shapes (meta-cloud-api.md §6.5).
    static func inbound(_ from: String, _ message: String, at: Date) throws -> [MessageEvent] {
        let digits = from.dropFirst()
        let body =
            #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"X"},"wa_id":"\#(digits)"}],"messages":[{"from":"\#(digits)","id":"wamid.in.\#(UUID().uuidString)","timestamp":"\#(Int(at.timeIntervalSince1970))",\#(message)}]}}]}]}"#
        return try WebhookPayload.events(from: Array(body.utf8), receivedAt: at)
    }

    static func sent(_ job: String, _ phone: String, wamid: String, at: Date) -> [MessageEvent] {
        let campaign = String(job.prefix { $0 != "." })
        return [
            MessageEvent(time: at.addingTimeInterval(-1), status: .queued, campaign: campaign, job: job, phone: phone, source: "campaign"),
            MessageEvent(time: at, status: .sent, campaign: campaign, job: job, phone: phone, wamid: wamid, attempt: 1, source: "dispatch"),
        ]
    }

    static func ledger() throws -> MessageLedger {
        var events: [MessageEvent] = []
        events += sent("diwali.0000001", asha, wamid: "wamid.D1", at: t0)
        events += sent("diwali.0000002", ravi, wamid: "wamid.D2", at: t0)
        events += sent("winter.0000001", asha, wamid: "wamid.W1", at: t0.addingTimeInterval(600))
        // Asha taps the quick-reply button of the Diwali message after the winter one reached her.
        events += try inbound(
            asha,
            #""type":"button","context":{"from":"15550001111","id":"wamid.D1"},"button":{"payload":"diwali-yes","text":"Yes please"}"#,
            at: t0.addingTimeInterval(700)
        )
        // Then writes freely: the last message before it was the winter one.
        events += try inbound(asha, #""type":"text","text":{"body":"Is the shop open on Sunday?"}"#, at: t0.addingTimeInterval(800))
        // Ravi sends a picture with a caption, then STOP (an opt-out, not a reply to list).
        events += try inbound(
            ravi,
            #""type":"image","image":{"id":"1","mime_type":"image/jpeg","caption":"my receipt"}"#,
            at: t0.addingTimeInterval(900)
        )
        events += try inbound(ravi, #""type":"text","text":{"body":"STOP"}"#, at: t0.addingTimeInterval(950))
        // Someone never messaged.
        events += try inbound("+919876500099", #""type":"text","text":{"body":"who is this?"}"#, at: t0.addingTimeInterval(990))
        return MessageLedger(events: events)
    }

    static func replies(campaign: String?) async throws -> [[String]] {
        let dir = TempDir()
        let path = dir.url.appendingPathComponent("r.xlsx")
        try CampaignReport(ledger: try ledger(), campaign: campaign, timeZone: .gmt).write(to: path, generatedAt: t0)
        return try #require(try await readXLSX(path.path)["Replies"])
    }

    @Test func eachReplyIsToldItsCampaignAndOptOutsAreLeftOut() async throws {
        let all = try await Self.replies(campaign: nil)
        #expect(all.first == ["Received at", "Phone", "Campaign", "Told by", "Reply", "Button payload"])
        #expect(
            all.dropFirst().map { Array($0.dropFirst()) } == [
                [Self.asha, "diwali", "the button it tapped", "Yes please", "diwali-yes"],
                [Self.asha, "winter", "the last message before it", "Is the shop open on Sunday?", ""],
                [Self.ravi, "diwali", "the last message before it", "[image] my receipt", ""],
                ["+919876500099", "", "no message before it", "who is this?", ""],
            ]
        )
        #expect(all[1][0] == "2026-09-21T14:25:00")
        let diwali = try await Self.replies(campaign: "diwali")
        #expect(diwali.dropFirst().map { $0[4] } == ["Yes please", "[image] my receipt"])
        let winter = try await Self.replies(campaign: "winter")
        #expect(winter.dropFirst().map { $0[4] } == ["Is the shop open on Sunday?"])
    }
}
