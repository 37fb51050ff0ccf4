import Foundation
import Testing
import WabulkBase

@Suite struct JSONValueTests {
    /// Foundation's reading of the same bytes, objects with their members sorted (it does not keep order).
    static func foundation(_ any: Any) -> JSONValue {
        switch any {
        case let d as [String: Any]: .object(d.keys.sorted().map { .init(key: $0, value: foundation(d[$0]!)) })
        case let a as [Any]: .array(a.map(foundation))
        case let s as String: .string(s)
        case let b as Bool where String(describing: type(of: any)).contains("Bool"): .bool(b)
        case let n as NSNumber: .number(n.doubleValue)
        default: .null
        }
    }

    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: sorted($0.value)) })
        case .array(let items): .array(items.map(sorted))
        default: value
        }
    }

    @Test func readsWhatFoundationReads() throws {
        let documents = [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-0.5e3,"g":"","h":[],"i":{}}"#,
            #"  [ 1 , 2.25 ,-3, 1E2, 0, 0.0, 123456789012 ]  "#,
            #"{"esc":"q\"b\\s\/n\nr\rt\tb\bf\f","u":"\u00e9l\u00e8ve \ud83d\ude00 \u0000 \u20AC"}"#,
            #"{"raw":"élève 😀 नमस्ते","nested":[[[{"x":[{"y":"z"}]}]]]}"#,
            "\"just a string\"", "42", "true", "null",
        ]
        for text in documents {
            let mine = try #require(JSONValue.parse(Array(text.utf8)), "\(text)")
            let theirs = Self.foundation(try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed))
            #expect(Self.sorted(mine) == theirs, "\(text)")
        }
        // Random documents as Foundation writes them (it escapes control characters and slashes).
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("az09 \"\\/\n\t\u{1}é😀€".unicodeScalars)
        func randomString() -> String {
            String(String.UnicodeScalarView((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        func randomValue(_ depth: Int) -> Any {
            switch Int.random(in: 0...(depth > 3 ? 3 : 5), using: &generator) {
            case 0: randomString()
            case 1: Int.random(in: -1_000_000_000...1_000_000_000, using: &generator)
            case 2: Bool.random(using: &generator)
            case 3: NSNull()
            case 4:
                Dictionary(
                    (0..<Int.random(in: 0...4, using: &generator)).map { _ in (randomString(), randomValue(depth + 1)) },
                    uniquingKeysWith: { a, _ in a }
                )
            default: (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth + 1) }
            }
        }
        for _ in 0..<500 {
            let object: Any = ["k": randomValue(0)]
            let data = try JSONSerialization.data(withJSONObject: object)
            let mine = try #require(JSONValue.parse([UInt8](data)), "\(String(decoding: data, as: UTF8.self))")
            #expect(Self.sorted(mine) == Self.foundation(try JSONSerialization.jsonObject(with: data)))
        }
    }

    @Test func refusesWhatIsNotJSON() {
        let bad = [
            "", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "[+1]",
            "tru", "nul", "[\"unterminated]", "[\"bad \\x escape\"]", "[\"\\u12\"]", "[\"\\ud83d alone\"]", "[\"\\ude00\"]",
            "[\"raw\ttab\"]", "{} {}", "[1] x", "'single'",
            String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        ]
        for text in bad { #expect(JSONValue.parse(Array(text.utf8)) == nil, "\(text)") }
        // Invalid UTF-8 inside a string.
        #expect(JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(JSONValue.parse(Array("[\"ok\"]".utf8)) == .array([.string("ok")]))
    }

    @Test func integersComeFromNumbersAndDigitStrings() throws {
        let doc = try #require(JSONValue.parse(Array(#"{"n":131026,"s":"1750030073","f":1.5,"t":true}"#.utf8)))
        #expect(doc["n"]?.integer == 131026)
        #expect(doc["s"]?.integer == 1_750_030_073)
        #expect(doc["f"]?.integer == nil)
        #expect(doc["t"]?.integer == nil)
        #expect(doc["missing"] == nil)
    }
}
