import Foundation
import Testing
import WabulkBase

@testable import EventLog

/// The quote-position reader (`parseCompact`) must give the general parser's answer for every line it takes,
/// and take every line the log writer writes without an escape.
@Suite struct EventFieldsTests {
    static let pieces = ["a", "Customer 12", "+919800000001", "é", "😀", "diwali-offer.0000001", "", "{}", ":", ","]
    /// Written escaped, so a line holding one is the general parser's.
    static let escaped = ["\"", "\\", "\n", "\t", "\u{1}"]

    static func randomEvent(_ rng: inout SplitMix) -> MessageEvent {
        func text() -> String? {
            guard rng.next() % 3 != 0 else { return nil }
            return (0..<Int(rng.next() % 4)).map { _ in
                rng.next() % 40 == 0 ? escaped[Int(rng.next() % UInt64(escaped.count))] : pieces[Int(rng.next() % UInt64(pieces.count))]
            }.joined()
        }
        func number() -> Int? { rng.next() % 2 == 0 ? nil : [0, 1, -7, 131026, Int.max, Int.min + 1][Int(rng.next() % 6)] }
        let statuses = MessageStatus.allCases
        return MessageEvent(
            time: Date(timeIntervalSince1970: 1_790_000_000 + Double(rng.next() % 1_000_000) / 1000),
            status: statuses[Int(rng.next() % UInt64(statuses.count))],
            campaign: text(),
            job: text(),
            phone: text(),
            name: text(),
            wamid: text(),
            attempt: number(),
            errorCode: number(),
            errorTitle: text(),
            errorDetails: text(),
            metaTime: number(),
            pricingCategory: text(),
            pricingType: text(),
            reason: text(),
            source: text(),
            template: text(),
            language: text(),
            failure: rng.next() % 2 == 0 ? nil : FailureKind.allCases[Int(rng.next() % UInt64(FailureKind.allCases.count))]
        )
    }

    /// The declaration is `MessageEvent` itself: every stored field, set, is written by the writer exactly as
    /// JSONEncoder writes the type (same keys, same order), read back whole by the fast reader, and every key
    /// the fast reader matches is one of the declared fields. A field added to one and not the others fails here.
    @Test func everyDeclaredFieldRoundTripsThroughTheWriterAndTheFastReader() throws {
        let full = MessageEvent(
            kind: .status,
            time: Date(timeIntervalSince1970: 1_790_000_000.25),
            status: .failed,
            campaign: "diwali",
            job: "diwali.0000001",
            phone: "+919800000001",
            name: "Customer 1",
            wamid: "wamid.HBg1",
            attempt: 2,
            errorCode: 131026,
            errorTitle: "Message undeliverable",
            errorDetails: "not on WhatsApp",
            metaTime: 1_790_000_001,
            pricingCategory: "marketing",
            pricingType: "regular",
            reason: "gave up after 2 attempts",
            source: "dispatch",
            raw: "{}",
            template: "diwali_offer",
            language: "en_US",
            failure: .gaveUp,
            userID: "IN.1234567890abcdef",
            parentUserID: "IN.parent.42",
            messagingLimit: 2000,
            payload: "diwali-stop",
            replyTo: "wamid.HBgOut"
        )
        let declared = Mirror(reflecting: full).children.compactMap(\.label)
        for child in Mirror(reflecting: full).children {
            #expect(String(describing: child.value) != "nil", "\(child.label ?? "") is not set in the test's event")
        }
        var line: [UInt8] = []
        EventLine.append(full, to: &line)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: line, as: UTF8.self) == String(decoding: try encoder.encode(full), as: UTF8.self))
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]).keys
        #expect(Set(keys) == Set(declared))
        line.withUnsafeBytes { raw in
            #expect(EventFields.parseCompact(raw) != nil)
            #expect(MessageEvent(line: raw) == full)
        }
        for key in EventFields.Key.allCases { #expect(declared.contains("\(key)"), "the reader matches \(key), which is not declared") }
        #expect(EventFields.Key.allCases.count == declared.count)
    }

    static func needsGeneralParser(_ line: [UInt8]) -> Bool { line.contains { $0 == 0x5C || $0 < 0x20 } }

    @Test func everyWrittenLineReadsTheSameBothWays() throws {
        var rng = SplitMix(seed: 7)
        var compactCount = 0
        for _ in 0..<3_000 {
            var line: [UInt8] = []
            EventLine.append(Self.randomEvent(&rng), to: &line)
            try line.withUnsafeBytes { raw in
                let general = try #require(EventFields.parseGeneral(raw))
                let compact = EventFields.parseCompact(raw)
                if Self.needsGeneralParser(line) {
                    #expect(compact == nil)
                } else {
                    #expect(compact == general, "\(String(decoding: line, as: UTF8.self))")
                    compactCount += 1
                }
                #expect(EventFields.parse(raw) == general)
            }
        }
        #expect(compactCount > 1_000)
        #expect(compactCount < 3_000)
    }

    /// Each of the writer's lines with one byte inserted or deleted anywhere: whatever the quote reader takes,
    /// the general parser reads identically; `parse` always answers as the general parser does.
    @Test func damagedLinesNeverReadDifferently() {
        var rng = SplitMix(seed: 11)
        var bases: [[UInt8]] = []
        while bases.count < 25 {
            var line: [UInt8] = []
            EventLine.append(Self.randomEvent(&rng), to: &line)
            if !Self.needsGeneralParser(line) { bases.append(line) }
        }
        let inserts: [UInt8] = Array(" ,:\"{}0-n\tx\\".utf8)
        var variants: [[UInt8]] = []
        for base in bases {
            for i in 0...base.count {
                for b in inserts {
                    var v = base
                    v.insert(b, at: i)
                    variants.append(v)
                }
                if i < base.count {
                    var v = base
                    v.remove(at: i)
                    variants.append(v)
                }
            }
        }
        var disagreements: [String] = []
        var taken = 0
        var refused = 0
        for v in variants {
            v.withUnsafeBytes { raw in
                let general = EventFields.parseGeneral(raw)
                if let compact = EventFields.parseCompact(raw) {
                    taken += 1
                    if compact != general { disagreements.append(String(decoding: v, as: UTF8.self)) }
                } else {
                    refused += 1
                }
                if EventFields.parse(raw) != general { disagreements.append("parse: " + String(decoding: v, as: UTF8.self)) }
            }
        }
        #expect(disagreements.count == 0, "first: \(disagreements.first ?? "")")
        #expect(taken > 1_000)
        #expect(refused > 10_000)
    }

    @Test func handWrittenEdgesAnswerAsTheGeneralParser() {
        let cases: [(String, compact: Bool, valid: Bool)] = [
            ("{}", true, true), (#"{"attempt":1}"#, true, true), (#"{"kind":null,"status":"sent"}"#, true, true),
            (#"{"kind":"status"} "#, false, true), (#"{"kind" :"status"}"#, false, true), (#"{ "kind":"status"}"#, false, true),
            (#"{"attempt":1.5}"#, false, false), (#"{"kind":"status",}"#, false, false), (#"{"kind":"status"}}"#, false, false),
            (#"{"kind":"st\"atus"}"#, false, true), (#"{"kind":"status""#, false, false), (#"{"":"x"}"#, true, true),
            (#"{"attempt":-}"#, false, false), (#"{"a":[1]}"#, false, false), (#"{"kind":"status","kind":"inbound"}"#, true, true),
        ]
        for (text, compact, valid) in cases {
            Array(text.utf8).withUnsafeBytes { raw in
                let general = EventFields.parseGeneral(raw)
                #expect((general != nil) == valid, "\(text)")
                #expect((EventFields.parseCompact(raw) != nil) == compact, "\(text)")
                if compact { #expect(EventFields.parseCompact(raw) == general, "\(text)") }
                #expect(EventFields.parse(raw) == general, "\(text)")
            }
        }
    }
}
