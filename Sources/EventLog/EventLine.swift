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
        s.withUTF8 { bytes in
            out.append(UInt8(ascii: "\""))
            guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
            let length = wabulk_json_escaped_length(source, bytes.count)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: length))
            out.withUnsafeMutableBufferPointer { all in wabulk_json_escape(source, bytes.count, all.baseAddress! + start) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
