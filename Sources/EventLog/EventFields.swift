import CLineScan
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// The fields of one event line, found without decoding it: where each value sits in the line, and the
/// integers already parsed. Folding a million messages' log through JSONDecoder took most of a report's time;
/// this reads the flat objects the log holds (string and integer values) and gives up on anything else, so the
/// caller can fall back to JSONDecoder.
struct EventFields: Equatable {
    /// A string value's bytes in the line (without quotes); `escaped` when it holds a backslash escape.
    struct Text: Equatable {
        // 32-bit positions, the escape flag in the end's top bit: a line's fields are copied on every line
        // of the log, and 8 bytes a field (with `Absent` below) made them 160 bytes instead of 256.
        fileprivate var from: Int32
        private let to: UInt32
        init(_ extent: JSONCursor.Extent) { self.init(start: extent.start, end: extent.end, escaped: extent.escaped) }
        init(start: Int, end: Int, escaped: Bool) {
            from = Int32(truncatingIfNeeded: start)
            to = UInt32(truncatingIfNeeded: end) & 0x7FFF_FFFF | (escaped ? 0x8000_0000 : 0)
        }
        var start: Int { Int(from) }
        var end: Int { Int(to & 0x7FFF_FFFF) }
        var escaped: Bool { to & 0x8000_0000 != 0 }
    }

    /// An optional field kept in its value's own size: a start of -1 (a text) or Int.min (an integer, which
    /// `JSONCursor.integer` never returns) means absent, where Optional would add a tag byte and padding.
    @propertyWrapper
    struct AbsentText: Equatable {
        private static let absent = Text(start: -1, end: 0, escaped: false)
        private var value = absent
        init() {}
        var wrappedValue: Text? {
            get { value.from < 0 ? nil : value }
            set { value = newValue ?? Self.absent }
        }
    }

    @propertyWrapper
    struct AbsentInteger: Equatable {
        private var value = Int.min
        init() {}
        var wrappedValue: Int? {
            get { value == .min ? nil : value }
            set { value = newValue ?? .min }
        }
    }

    @AbsentText var kind: Text?
    @AbsentText var status: Text?
    @AbsentText var campaign: Text?
    @AbsentText var job: Text?
    @AbsentText var phone: Text?
    @AbsentText var name: Text?
    @AbsentText var wamid: Text?
    @AbsentText var errorTitle: Text?
    @AbsentText var errorDetails: Text?
    @AbsentText var failure: Text?
    @AbsentText var pricingCategory: Text?
    @AbsentText var pricingType: Text?
    @AbsentText var reason: Text?
    @AbsentText var source: Text?
    @AbsentText var time: Text?
    @AbsentText var raw: Text?
    @AbsentText var template: Text?
    @AbsentText var language: Text?
    @AbsentText var userID: Text?
    @AbsentText var parentUserID: Text?
    @AbsentText var payload: Text?
    @AbsentText var replyTo: Text?
    @AbsentInteger var attempt: Int?
    @AbsentInteger var errorCode: Int?
    @AbsentInteger var metaTime: Int?
    @AbsentInteger var messagingLimit: Int?

    /// Nil when the line is not a flat JSON object of strings, integers and nulls.
    static func parse(_ line: UnsafeRawBufferPointer) -> EventFields? {
        if let fields = parseCompact(line) { return fields }
        return parseGeneral(line)
    }

    /// The log writer's own spelling (no spaces, no escapes) read off the positions of its quotes: a key
    /// opens right after `{` or `,`, its value right after `:`. Nil for anything else, which the general
    /// parser then reads or refuses, so both give the same answer for every line (tested).
    static func parseCompact(_ line: UnsafeRawBufferPointer) -> EventFields? {
        let count = line.count
        guard count >= 2, let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self),
            base[0] == UInt8(ascii: "{")
        else { return nil }
        // 96 quotes are 48 strings: more than any line the writer makes has keys and values.
        let room = 96
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: room) { quotes -> EventFields? in
            let found = wabulk_line_quotes(base, count, quotes.baseAddress!, room)
            guard found >= 0 else { return nil }
            var fields = EventFields()
            var at = 1
            var q = 0
            if base[1] == UInt8(ascii: "}") { return count == 2 ? fields : nil }
            while true {
                guard q + 1 < found, Int(quotes[q]) == at else { return nil }
                let key = Text(start: at + 1, end: Int(quotes[q + 1]), escaped: false)
                at = Int(quotes[q + 1]) + 1
                q += 2
                guard at < count, base[at] == UInt8(ascii: ":") else { return nil }
                at += 1
                guard at < count else { return nil }
                let byte = base[at]
                if byte == UInt8(ascii: "\"") {
                    guard q + 1 < found, Int(quotes[q]) == at else { return nil }
                    fields.set(key, text: Text(start: at + 1, end: Int(quotes[q + 1]), escaped: false), in: line)
                    at = Int(quotes[q + 1]) + 1
                    q += 2
                } else {
                    var cursor = JSONCursor(line, at: at)
                    if byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) {
                        guard let value = cursor.integer() else { return nil }
                        fields.set(key, integer: value, in: line)
                    } else {
                        guard cursor.takeNull() else { return nil }
                    }
                    at = cursor.at
                }
                guard at < count else { return nil }
                if base[at] == UInt8(ascii: ",") {
                    at += 1
                    continue
                }
                // Integers and nulls hold no quote, so every quote up to here was taken in order.
                return base[at] == UInt8(ascii: "}") && at + 1 == count ? fields : nil
            }
        }
    }

    /// Any flat object: spaces anywhere JSON allows them, escaped strings.
    static func parseGeneral(_ line: UnsafeRawBufferPointer) -> EventFields? {
        var p = JSONCursor(line)
        var fields = EventFields()
        p.skipSpace()
        guard p.take(UInt8(ascii: "{")) else { return nil }
        p.skipSpace()
        if p.take(UInt8(ascii: "}")) { return fields }
        while true {
            p.skipSpace()
            guard let key = p.stringExtent().map(Text.init) else { return nil }
            p.skipSpace()
            guard p.take(UInt8(ascii: ":")) else { return nil }
            p.skipSpace()
            guard let byte = p.peek else { return nil }
            if byte == UInt8(ascii: "\"") {
                guard let value = p.stringExtent().map(Text.init) else { return nil }
                fields.set(key, text: value, in: line)
            } else if byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) {
                guard let value = p.integer() else { return nil }
                fields.set(key, integer: value, in: line)
            } else if !p.takeNull() {
                return nil
            }
            p.skipSpace()
            if p.take(UInt8(ascii: ",")) { continue }
            guard p.take(UInt8(ascii: "}")) else { return nil }
            p.skipSpace()
            return p.atEnd ? fields : nil
        }
    }

    private mutating func set(_ key: Text, text value: Text, in line: UnsafeRawBufferPointer) {
        switch Self.key(key, in: line) {
        case .kind: kind = value
        case .status: status = value
        case .campaign: campaign = value
        case .job: job = value
        case .phone: phone = value
        case .name: name = value
        case .wamid: wamid = value
        case .errorTitle: errorTitle = value
        case .errorDetails: errorDetails = value
        case .failure: failure = value
        case .pricingCategory: pricingCategory = value
        case .pricingType: pricingType = value
        case .reason: reason = value
        case .source: source = value
        case .time: time = value
        case .raw: raw = value
        case .template: template = value
        case .language: language = value
        case .userID: userID = value
        case .parentUserID: parentUserID = value
        case .payload: payload = value
        case .replyTo: replyTo = value
        default: break
        }
    }

    private mutating func set(_ key: Text, integer value: Int, in line: UnsafeRawBufferPointer) {
        switch Self.key(key, in: line) {
        case .attempt: attempt = value
        case .errorCode: errorCode = value
        case .metaTime: metaTime = value
        case .messagingLimit: messagingLimit = value
        default: break
        }
    }

    enum Key: CaseIterable {
        case attempt, campaign, errorCode, errorDetails, errorTitle, failure, job, kind, metaTime, name, phone
        case pricingCategory, pricingType, reason, source, status, time, wamid, raw, template, language, userID, parentUserID
        case messagingLimit, payload, replyTo
    }

    private static func key(_ text: Text, in line: UnsafeRawBufferPointer) -> Key? {
        guard !text.escaped else { return nil }
        let count = text.end - text.start
        let p = line.baseAddress! + text.start
        // Length and first letter pick the candidate; memcmp confirms it against the name in place (a
        // StaticString: no array to retain on every key of every line).
        func named(_ name: StaticString, _ key: Key) -> Key? { memcmp(p, name.utf8Start, count) == 0 ? key : nil }
        switch (count, p.load(as: UInt8.self)) {
        case (7, UInt8(ascii: "a")): return named("attempt", .attempt)
        case (8, UInt8(ascii: "c")): return named("campaign", .campaign)
        case (9, UInt8(ascii: "e")): return named("errorCode", .errorCode)
        case (12, UInt8(ascii: "e")): return named("errorDetails", .errorDetails)
        case (10, UInt8(ascii: "e")): return named("errorTitle", .errorTitle)
        case (7, UInt8(ascii: "f")): return named("failure", .failure)
        case (3, UInt8(ascii: "j")): return named("job", .job)
        case (4, UInt8(ascii: "k")): return named("kind", .kind)
        case (8, UInt8(ascii: "m")): return named("metaTime", .metaTime)
        case (14, UInt8(ascii: "m")): return named("messagingLimit", .messagingLimit)
        case (4, UInt8(ascii: "n")): return named("name", .name)
        case (5, UInt8(ascii: "p")): return named("phone", .phone)
        case (15, UInt8(ascii: "p")): return named("pricingCategory", .pricingCategory)
        case (11, UInt8(ascii: "p")): return named("pricingType", .pricingType)
        case (6, UInt8(ascii: "r")): return named("reason", .reason)
        case (6, UInt8(ascii: "s")): return named("source", .source) ?? named("status", .status)
        case (4, UInt8(ascii: "t")): return named("time", .time)
        case (5, UInt8(ascii: "w")): return named("wamid", .wamid)
        case (3, UInt8(ascii: "r")): return named("raw", .raw)
        case (8, UInt8(ascii: "t")): return named("template", .template)
        case (8, UInt8(ascii: "l")): return named("language", .language)
        case (6, UInt8(ascii: "u")): return named("userID", .userID)
        case (12, UInt8(ascii: "p")): return named("parentUserID", .parentUserID)
        case (7, UInt8(ascii: "p")): return named("payload", .payload)
        case (7, UInt8(ascii: "r")): return named("replyTo", .replyTo)
        default: return nil
        }
    }

    /// The value as a String, escapes decoded.
    static func string(_ text: Text, in line: UnsafeRawBufferPointer) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: line[text.start..<text.end])
        guard text.escaped else { return String(decoding: bytes, as: UTF8.self) }
        // Leniently: a log line is never lost over one odd character.
        return JSONEscape.decode(bytes, mode: .lenient) ?? ""
    }

    /// Whether the value is exactly these bytes (an escaped value never matches: the log writes none of the
    /// values compared this way with escapes).
    static func equals(_ text: Text, _ bytes: [UInt8], in line: UnsafeRawBufferPointer) -> Bool {
        guard !text.escaped, text.end - text.start == bytes.count else { return false }
        return bytes.withUnsafeBytes { memcmp($0.baseAddress!, line.baseAddress! + text.start, bytes.count) == 0 }
    }
}
