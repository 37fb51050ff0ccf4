import EventLog
import Foundation
import Testing
import WabulkBase

@testable import Contacts

/// The one byte-level reader under the listener (`JSONValue`), the event log (`MessageEvent(line:)`) and the
/// contacts registry's columns (`CompactJSON`): the same bytes get the same answer, strict where the input
/// comes from outside, lenient only for the log.
@Suite struct JSONCursorTests {
    func cursor<T>(_ text: String, _ body: (inout JSONCursor) -> T) -> T {
        Array(text.utf8).withUnsafeBytes { raw in
            var c = JSONCursor(raw)
            return body(&c)
        }
    }

    @Test func theThreeReadersShareOneSetOfRules() throws {
        // A lone surrogate: refused by the strict readers, kept as U+FFFD by the log's.
        let lone = #"\ud83d"#
        #expect(JSONValue.parse(Array(#"{"a":"x\#(lone)"}"#.utf8)) == nil)
        #expect(CompactJSON.strings(#"["x\#(lone)"]"#) == nil)
        let line = #"{"kind":"webhook","name":"x\#(lone)","phone":"+15550001","time":"2026-12-05T09:00:00Z"}"#
        let event = try #require(Array(line.utf8).withUnsafeBytes { MessageEvent(line: $0) })
        #expect(event.name == "x\u{FFFD}")
        // A valid pair reads alike in all three.
        let pair = #"\ud83d\ude00 \u00e9"#
        #expect(JSONValue.parse(Array(#"{"a":"\#(pair)"}"#.utf8))?["a"]?.string == "😀 é")
        #expect(CompactJSON.strings(#"["\#(pair)"]"#) == ["😀 é"])
        let paired = #"{"kind":"webhook","name":"\#(pair)","phone":"+15550001","time":"2026-12-05T09:00:00Z"}"#
        #expect(Array(paired.utf8).withUnsafeBytes { MessageEvent(line: $0) }?.name == "😀 é")
        // A raw control byte inside a string is not JSON for any of them.
        #expect(JSONValue.parse(Array("{\"a\":\"x\ty\"}".utf8)) == nil)
        #expect(CompactJSON.strings("[\"x\ty\"]") == nil)
        #expect(
            Array("{\"kind\":\"webhook\",\"name\":\"x\ty\",\"time\":\"2026-12-05T09:00:00Z\"}".utf8).withUnsafeBytes { MessageEvent(line: $0) } == nil
        )
    }

    /// The eight-bytes-at-a-time scan must stop at a quote, backslash or control byte wherever it falls.
    @Test func aStringEndsWhereverItsQuoteFalls() {
        for length in 0...24 {
            let content = String(repeating: "a", count: length)
            let extent = cursor("\"\(content)\" tail") { $0.stringExtent() }
            #expect(extent == JSONCursor.Extent(start: 1, end: 1 + length, escaped: false), "\(length)")
            for at in 0..<length {
                var bytes = Array(content.utf8)
                bytes[at] = UInt8(ascii: "\\")
                bytes.insert(UInt8(ascii: "\""), at: at + 1)
                let escaped = "\"" + String(decoding: bytes, as: UTF8.self) + "\""
                let e = cursor(escaped) { $0.stringExtent() }
                #expect(e == JSONCursor.Extent(start: 1, end: escaped.utf8.count - 1, escaped: true), "\(length) \(at)")
                bytes[at] = 0x01
                #expect(cursor("\"" + String(decoding: bytes, as: UTF8.self) + "\"") { $0.stringExtent() } == nil, "\(length) \(at)")
            }
        }
        #expect(cursor(#""unterminated"#) { $0.stringExtent() } == nil)
    }

    @Test func numbersFollowJSONsGrammar() {
        for good in ["0", "-0", "12", "1.5", "-0.25e+3", "1E2", "123456789012"] {
            #expect(cursor(good) { c in c.number().map { _ in c.atEnd } } == true, "\(good)")
        }
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x1"] {
            #expect(cursor(bad) { c in c.number().map { _ in c.atEnd } } != true, "\(bad)")
        }
        #expect(cursor("-42,") { $0.integer() } == -42)
        #expect(cursor("4.2") { $0.integer() } == nil)
        #expect(cursor("4e2") { $0.integer() } == nil)
        #expect(cursor("99999999999999999999") { $0.integer() } == nil)
    }

    /// The writing half: anything quoted reads back the same, strictly.
    @Test func whatIsQuotedReadsBackUnchanged() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "é", "😀", "न", " ", "\u{7F}", "\u{2028}"]
        for _ in 0..<500 {
            var s = ""
            for _ in 0..<Int.random(in: 0...20, using: &generator) { s.unicodeScalars.append(alphabet.randomElement(using: &generator)!) }
            var out: [UInt8] = []
            JSONEscape.quote(s, into: &out)
            #expect(JSONEscape.quoted(s).utf8.elementsEqual(out))
            #expect(
                out.withUnsafeBytes { raw -> String? in
                    var c = JSONCursor(raw)
                    return c.string(.strict)
                } == s,
                "\(s.debugDescription)"
            )
            #expect(JSONValue.parse(out)?.json == String(decoding: out, as: UTF8.self))
        }
    }

    @Test func plainTextIsHowStaffWroteIt() {
        let value = JSONValue.parse(Array(#"[5, 2.5, true, null, "x", [1,"a"], {"k":"v"}]"#.utf8))
        #expect(value?.items?.map(\.plainText) == ["5", "2.5", "true", "", "x", #"[1,"a"]"#, #"{"k":"v"}"#])
    }
}
