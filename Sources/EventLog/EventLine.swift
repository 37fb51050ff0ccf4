import CLineScan
import WabulkBase

/// One event as its log line, written by hand: Foundation's JSONEncoder was most of the webhook
/// listener's time per request. The output is what JSONEncoder gives with sorted keys and unescaped
/// slashes (absent fields left out), so the log reads back with JSONDecoder unchanged.
enum EventLine {
    static func append(_ e: MessageEvent, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func text(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            quote(value, into: &out)
        }
        func int(_ name: StaticString, _ value: Int?) {
            guard let value else { return }
            key(name)
            out.append(contentsOf: String(value).utf8)
        }
        // Alphabetical, as JSONEncoder's .sortedKeys writes them.
        int("attempt", e.attempt)
        text("campaign", e.campaign)
        int("errorCode", e.errorCode)
        text("errorDetails", e.errorDetails)
        text("errorTitle", e.errorTitle)
        text("failure", e.failure?.rawValue)
        text("job", e.job)
        text("kind", e.kind.rawValue)
        text("language", e.language)
        int("messagingLimit", e.messagingLimit)
        int("metaTime", e.metaTime)
        text("name", e.name)
        text("parentUserID", e.parentUserID)
        text("payload", e.payload)
        text("phone", e.phone)
        text("pricingCategory", e.pricingCategory)
        text("pricingType", e.pricingType)
        text("raw", e.raw)
        text("reason", e.reason)
        text("replyTo", e.replyTo)
        text("source", e.source)
        text("status", e.status?.rawValue)
        text("template", e.template)
        text("time", e.time)
        text("userID", e.userID)
        text("wamid", e.wamid)
        out.append(UInt8(ascii: "}"))
    }

    /// What `JSONEscape.quote` writes, escaped 16 bytes at a time (CLineScan): a raw webhook body is most of
    /// the listener's bytes.
    static func quote(_ s: String, into out: inout [UInt8]) {
        var s = s
        out.append(UInt8(ascii: "\""))
        s.withUTF8 { appendEscaped(UnsafeRawBufferPointer($0), to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// `bytes` as the inside of a JSON string.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        guard let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return }
        let length = wabulk_json_escaped_length(source, bytes.count)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: length))
        out.withUnsafeMutableBufferPointer { all in wabulk_json_escape(source, bytes.count, all.baseAddress! + start) }
    }
}

/// A webhook POST's lines written from its bytes, for the listener's status batches: the same bytes
/// `EventLine.append` writes for the `MessageEvent`s they stand for (tested), without making those events.
/// Every text passed in must need no escaping (ASCII, no quote, backslash or control byte).
public enum WebhookLines {
    /// One delivery status, as `WebhookPayload` reads it: each field as its plain bytes, nil when absent.
    public struct Status {
        public var job: UnsafeRawBufferPointer?
        public var metaTime: Int?
        /// Meta's digits (a `+` is put in front unless there is one).
        public var recipient: UnsafeRawBufferPointer?
        public var pricingCategory: UnsafeRawBufferPointer?
        public var pricingType: UnsafeRawBufferPointer?
        public var status: MessageStatus
        public var wamid: UnsafeRawBufferPointer?

        public init(status: MessageStatus) { self.status = status }
    }

    /// The body as received: `{"kind":"webhook","raw":…,"source":"webhook","time":…}`. `body` must be valid
    /// UTF-8 (as a parsed JSON document is), so it reads back as the same text.
    public static func appendRaw(_ body: UnsafeRawBufferPointer, time: String, to out: inout [UInt8]) {
        add(#"{"kind":"webhook","raw":""#, to: &out)
        EventLine.appendEscaped(body, to: &out)
        add(#"","source":"webhook","time":""#, to: &out)
        add(time, to: &out)
        add("\"}\n", to: &out)
    }

    /// One status line, keys in `EventLine.append`'s order.
    public static func appendStatus(_ s: Status, time: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        func text(_ key: StaticString, _ value: UnsafeRawBufferPointer?, plus: Bool = false) {
            guard let value else { return }
            key.withUTF8Buffer { out.append(contentsOf: $0) }
            if plus, value.first != UInt8(ascii: "+") { out.append(UInt8(ascii: "+")) }
            out.append(contentsOf: value)
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ",")])
        }
        text(#""job":""#, s.job)
        add(#""kind":"status","#, to: &out)
        if let metaTime = s.metaTime {
            add(#""metaTime":"#, to: &out)
            add(String(metaTime), to: &out)
            out.append(UInt8(ascii: ","))
        }
        text(#""phone":""#, s.recipient, plus: true)
        text(#""pricingCategory":""#, s.pricingCategory)
        text(#""pricingType":""#, s.pricingType)
        add(#""source":"webhook","status":""#, to: &out)
        add(s.status.rawValue, to: &out)
        add(#"","time":""#, to: &out)
        add(time, to: &out)
        out.append(UInt8(ascii: "\""))
        if let wamid = s.wamid {
            add(#","wamid":""#, to: &out)
            out.append(contentsOf: wamid)
            out.append(UInt8(ascii: "\""))
        }
        add("}\n", to: &out)
    }

    private static func add(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func add(_ text: String, to out: inout [UInt8]) { out.append(contentsOf: text.utf8) }
}
