import Foundation
import Testing
import WabulkBase

/// The one set of escape rules the three byte-level readers share: strict for what comes from outside (a
/// webhook, the registry's stored JSON), lenient for the event log (a line is never lost over one character).
@Suite struct JSONEscapeTests {
    func decode(_ content: String, _ mode: JSONEscape.Mode) -> String? {
        Array(content.utf8).withUnsafeBytes { JSONEscape.decode($0, mode: mode) }
    }

    @Test func bothModesReadValidEscapesAlike() {
        for (content, text) in [
            (#"a\"b\\c\/d"#, "a\"b\\c/d"), (#"\n\r\t\b\f"#, "\n\r\t\u{8}\u{C}"), (#"caf\u00e9"#, "café"),
            (#"\ud83d\ude00!"#, "😀!"), ("plain é", "plain é"),
        ] {
            #expect(decode(content, .strict) == text)
            #expect(decode(content, .lenient) == text)
        }
    }

    @Test func strictRefusesWhatLenientKeeps() {
        for (content, lenient) in [
            (#"\ud83d alone"#, "\u{FFFD} alone"), (#"\ude00"#, "\u{FFFD}"), (#"\x41"#, "x41"), (#"\u12G4"#, "\u{FFFD}12G4"),
            ("tab\there", "tab\there"),
        ] {
            #expect(decode(content, .strict) == nil, "\(content)")
            #expect(decode(content, .lenient) == lenient, "\(content)")
        }
        let invalidUTF8: [UInt8] = [0x61, 0xC3, 0x28]
        #expect(invalidUTF8.withUnsafeBytes { JSONEscape.decode($0, mode: .strict) } == nil)
        #expect(invalidUTF8.withUnsafeBytes { JSONEscape.decode($0, mode: .lenient) } == "a\u{FFFD}(")
    }
}
