import EventLog
import Foundation
import FuzzEntries
import Testing
import WabulkBase

@testable import WebhookListener

/// The listener's fast reader of status batches writes exactly the lines the general reader and the event
/// log write for the same body, and declines what it does not read the same way.
@Suite struct StatusBatchTests {
    static let received = Date(timeIntervalSince1970: 1_780_000_000.25)

    /// The general way: `WebhookPayload.events`, then the event log's lines for the body and its events.
    static func general(_ body: [UInt8]) -> [UInt8]? {
        guard let events = try? WebhookPayload.events(from: body, receivedAt: received) else { return nil }
        let raw = MessageEvent(kind: .webhook, time: received, source: EventSource.webhook.rawValue, raw: String(decoding: body, as: UTF8.self))
        return EventLogWriter.lines([raw] + events)
    }

    static func fast(_ body: [UInt8]) -> StatusBatch.Lines? {
        body.withUnsafeBytes { StatusBatch.lines($0, time: Timestamp.format(received)) }
    }

    /// Bodies shaped as Meta sends them, with the variations a real feed has and a few it should not.
    static func body(_ n: Int, random: inout some RandomNumberGenerator) -> String {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        /// Mostly the usual value, now and then one of the others.
        func usually<T>(_ usual: T, _ others: [T]) -> T { random.next() % 16 == 0 ? pick(others) : usual }
        let space = pick(["", "", " ", "\n  "])
        var statuses: [String] = []
        for i in 0..<pick([1, 1, 2, 3, 5]) {
            var fields: [String] = []
            let recipient = pick(["9198\(String(format: "%08d", n * 7 + i))", "+4915112345678", "", "15550001111"])
            fields.append(#""id":"\#(usually("wamid.HBgM\(n)FQIAERgS\(i)", ["", #"wamid.\u0041\#(n)"#]))""#)
            fields.append(#""status":"\#(usually(pick(["sent", "delivered", "read"]), ["failed", "deleted", "Sent"]))""#)
            if random.next() % 8 != 0 {
                fields.append(#""timestamp":\#(usually(#""\#(1_780_000_000 + n)""#, ["1780000001", #""0042""#, #""""#, #""+5""#]))"#)
            }
            fields.append(#""recipient_id":"\#(recipient)""#)
            if random.next() % 4 != 0 { fields.append(#""biz_opaque_callback_data":"\#(pick(["spring.\(n)", "", "a b.1", "x/y.2"]))""#) }
            fields.append(#""conversation":{"id":"\#(n)abc","expiration_timestamp":"1780086400","origin":{"type":"marketing"}}"#)
            if random.next() % 3 != 0 {
                fields.append(
                    #""pricing":{"billable":true,"pricing_model":"PMP","type":"\#(pick(["regular", "free_customer_service"]))","category":"\#(pick(["marketing", "utility"]))"}"#
                )
            }
            if random.next() % 30 == 0 { fields.append(#""errors":[{"code":131026,"title":"Message undeliverable"}]"#) }
            if random.next() % 30 == 0 { fields.append(#""recipient_user_id":"IN.123""#) }
            if random.next() % 12 == 0 { fields.append(#""status":"read""#) }  // a repeated key: the first counts
            if random.next() % 12 == 0 { fields.append(#""unknown_field":{"nested":[1,2.5,null,false]}"#) }
            if random.next() % 2 == 0 { fields.shuffle(using: &random) }
            statuses.append("{" + fields.joined(separator: "," + space) + "}")
        }
        var value =
            #"{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"statuses":[\#(statuses.joined(separator: ","))]"#
        if random.next() % 10 == 0 { value += #","contacts":[{"wa_id":"919800000000","user_id":"IN.9"}]"# }
        value += "}"
        let field = random.next() % 15 == 0 ? "account_update" : "messages"
        return
            #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":\#(value),\#(space)"field":"\#(field)"}]}]}"#
    }

    @Test func fastLinesEqualTheGeneralReadersOverGeneratedBodies() async throws {
        // Off the cooperative pool: 4,000 bodies both ways are seconds of a debug build's CPU, which would
        // starve the in-process servers of tests running alongside.
        let (taken, declined, mismatches) = try await onOwnThread { () -> (Int, Int, [String]) in
            var random = SystemRandomNumberGenerator()
            var taken = 0
            var declined = 0
            var mismatches: [String] = []
            for n in 0..<4000 {
                let body = Array(Self.body(n, random: &random).utf8)
                guard let fast = Self.fast(body) else {
                    declined += 1
                    continue
                }
                taken += 1
                let general = Self.general(body)
                if general != fast.bytes || fast.statuses.count != (general ?? []).filter({ $0 == 0x0A }).count - 1 {
                    mismatches.append(String(decoding: body, as: UTF8.self))
                }
            }
            return (taken, declined, mismatches)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(2))")
        // Both ways are exercised: most bodies are plain status batches, many are not.
        #expect(taken > 1000, "taken \(taken)")
        #expect(declined > 500, "declined \(declined)")
    }

    @Test func theBenchmarksBodiesAreTakenAndEveryFuzzInputAgrees() async throws {
        let body = Array(
            #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgM919800000001FQIAERgS0000000005F5E101","status":"sent","timestamp":"1764900001","recipient_id":"919800000001","biz_opaque_callback_data":"spring-1.0000001","conversation":{"id":"0000000000000000000000005f5e101","expiration_timestamp":"1764986401","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"utility"}}]}}]}]}"#
                .utf8
        )
        let fast = try #require(Self.fast(body))
        #expect(fast.bytes == Self.general(body))
        #expect(fast.statuses == [.sent])
        let (agreed, differing) = try await onOwnThread { () -> (Int, [String]) in
            var agreed = 0
            var differing: [String] = []
            for file in FuzzRegressionTests.inputs(.webhook) {
                let input = try [UInt8](Data(contentsOf: file))
                guard let fast = Self.fast(input) else { continue }
                if fast.bytes == Self.general(input) { agreed += 1 } else { differing.append(file.lastPathComponent) }
            }
            return (agreed, differing)
        }
        #expect(differing.isEmpty, "\(differing)")
        #expect(agreed >= 1)
    }

    /// The tape accepts and refuses what `JSONValue` does.
    @Test func theTapeAcceptsWhatJSONValueAccepts() throws {
        let documents = [
            "{}", "[]", #"{"a":[1,2,{"b":null}],"c":"\u00e9"}"#, " 1 ", #""x""#, "{", #"{"a":}"#, #"{"a":1,}"#, "[1 2]", "01",
            #"{"a":"\ud800"}"#, #""\q""#, "tru", "nul", "[-]", "1.", "1e", "[1.5e3]", #"{"a" : [ ] }"#, "{} x",
            String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        ]
        for text in documents {
            let bytes = Array(text.utf8)
            let tape = bytes.withUnsafeBytes { JSONTape.parse($0) }
            #expect((tape != nil) == (JSONValue.parse(bytes) != nil), "\(text)")
        }
        let invalid: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(invalid.withUnsafeBytes { JSONTape.parse($0) } == nil)
        #expect(JSONValue.parse(invalid) == nil)
    }
}
