import EventLog
import Foundation

/// Reads a webhook POST body (meta-cloud-api.md, section 6) into events: every entry, every change,
/// every status and message. Unknown fields are ignored. Decoded with JSONDecoder into the few shapes
/// below (JSONSerialization's untyped dictionaries were the listener's largest cost).
public enum WebhookPayload {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notJSON
        case notWhatsAppEnvelope

        public var description: String {
            switch self {
            case .notJSON: "body is not JSON"
            case .notWhatsAppEnvelope: "body is not a whatsapp_business_account webhook"
            }
        }
    }

    /// The events of one POST. `optOutKeywords` are compared case-insensitively with inbound texts and
    /// button labels (Meta's marketing opt-out button arrives as its localised label).
    public static func events(from body: [UInt8], receivedAt: Date, optOutKeywords: [String] = ["STOP", "UNSUBSCRIBE"]) throws(ParseError) -> [MessageEvent] {
        let envelope: Envelope
        do { envelope = try JSONDecoder().decode(Envelope.self, from: Data(body)) } catch {
            // Valid JSON of another shape is not Meta's; anything else is not JSON at all.
            if (try? JSONDecoder().decode(AnyJSON.self, from: Data(body))) != nil { throw .notWhatsAppEnvelope }
            throw .notJSON
        }
        guard let entries = envelope.entry else { throw .notWhatsAppEnvelope }
        let keywords = Set(optOutKeywords.map { $0.lowercased() })
        var events: [MessageEvent] = []
        for entry in entries {
            for change in entry.changes ?? [] {
                guard let value = change.value else { continue }
                switch change.field {
                case "messages":
                    for status in value.statuses ?? [] {
                        if let event = statusEvent(status, receivedAt: receivedAt) { events.append(event) }
                    }
                    for message in value.messages ?? [] {
                        let inbound = inboundEvent(message, receivedAt: receivedAt)
                        events.append(inbound)
                        if let text = inbound.reason, keywords.contains(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()) {
                            events.append(MessageEvent(kind: .optOut, time: receivedAt, phone: inbound.phone, wamid: inbound.wamid,
                                                       metaTime: inbound.metaTime, reason: "replied \"\(text)\"", source: "webhook"))
                        }
                    }
                    events += preferenceEvents(value, receivedAt: receivedAt)
                case "user_preferences":
                    events += preferenceEvents(value, receivedAt: receivedAt)
                case "message_template_status_update":
                    if let event = templateStatusEvent(value, receivedAt: receivedAt) { events.append(event) }
                default:
                    continue
                }
            }
        }
        return events
    }

    /// `user_preferences[]`: the person stopped (or resumed) marketing messages in WhatsApp's own settings.
    static func preferenceEvents(_ value: Value, receivedAt: Date) -> [MessageEvent] {
        (value.user_preferences ?? []).compactMap { p in
            guard let waID = p.wa_id, let choice = p.value?.lowercased(), choice == "stop" || choice == "resume" else { return nil }
            let category = p.category ?? "marketing_messages"
            return MessageEvent(kind: choice == "stop" ? .optOut : .optIn, time: receivedAt, phone: waID.hasPrefix("+") ? waID : "+" + waID,
                                metaTime: p.timestamp?.int, reason: "\(choice == "stop" ? "stopped" : "resumed") \(category) in WhatsApp",
                                source: "webhook")
        }
    }

    /// `message_template_status_update`: a template was paused, disabled, approved again …
    static func templateStatusEvent(_ value: Value, receivedAt: Date) -> MessageEvent? {
        guard let status = value.event, let name = value.message_template_name else { return nil }
        return MessageEvent(kind: .templateStatus, time: receivedAt, errorDetails: value.other_info?.description ?? value.reason,
                            reason: status.uppercased(), source: "webhook", template: name, language: value.message_template_language)
    }

    static func statusEvent(_ s: Status, receivedAt: Date) -> MessageEvent? {
        guard let statusText = s.status, let status = MessageStatus(rawValue: statusText),
              [.sent, .delivered, .read, .failed].contains(status) else { return nil }
        let error = s.errors?.first
        return MessageEvent(time: receivedAt, status: status,
                            job: s.biz_opaque_callback_data.flatMap { $0.isEmpty ? nil : $0 },
                            phone: s.recipient_id.map { $0.hasPrefix("+") ? $0 : "+" + $0 },
                            wamid: s.id,
                            errorCode: error?.code,
                            errorTitle: error?.title,
                            errorDetails: error?.error_data?.details,
                            metaTime: s.timestamp?.int,
                            pricingCategory: s.pricing?.category,
                            pricingType: s.pricing?.type,
                            source: "webhook")
    }

    static func inboundEvent(_ m: Message, receivedAt: Date) -> MessageEvent {
        let type = m.type ?? "unknown"
        var text: String
        switch type {
        case "text": text = m.text?.body ?? ""
        case "button": text = m.button?.text ?? m.button?.payload ?? ""
        case "interactive": text = (m.interactive?.button_reply ?? m.interactive?.list_reply)?.title ?? "[interactive]"
        default: text = "[\(type)]"
        }
        if text.count > 1000 { text = String(text.prefix(1000)) }
        return MessageEvent(kind: .inbound, time: receivedAt, phone: m.from.map { "+" + $0 }, wamid: m.id,
                            metaTime: m.timestamp?.int, reason: text, source: "webhook")
    }

    // Meta's shapes, only the fields wabulk reads (snake_case as Meta writes them).
    struct Envelope: Decodable { var entry: [Entry]? }
    struct Entry: Decodable { var changes: [Change]? }
    struct Change: Decodable {
        var field: String?
        var value: Value?
    }
    struct Value: Decodable {
        var statuses: [Status]?
        var messages: [Message]?
        var user_preferences: [Preference]?
        var event: String?
        var message_template_name: String?
        var message_template_language: String?
        var reason: String?
        var other_info: OtherInfo?
    }
    struct OtherInfo: Decodable { var description: String? }
    struct Status: Decodable {
        var id: String?
        var status: String?
        var timestamp: Stamp?
        var recipient_id: String?
        var biz_opaque_callback_data: String?
        var pricing: Pricing?
        var errors: [StatusError]?
    }
    struct Pricing: Decodable {
        var category: String?
        var type: String?
    }
    struct StatusError: Decodable {
        struct Data: Decodable { var details: String? }
        var code: Int?
        var title: String?
        var error_data: Data?
    }
    struct Message: Decodable {
        struct Text: Decodable { var body: String? }
        struct Button: Decodable {
            var payload: String?
            var text: String?
        }
        struct Reply: Decodable { var title: String? }
        struct Interactive: Decodable {
            var button_reply: Reply?
            var list_reply: Reply?
        }
        var from: String?
        var id: String?
        var timestamp: Stamp?
        var type: String?
        var text: Text?
        var button: Button?
        var interactive: Interactive?
    }
    struct Preference: Decodable {
        var wa_id: String?
        var category: String?
        var value: String?
        var timestamp: Stamp?
    }

    /// Meta writes timestamps as strings of seconds, some payloads as numbers: either is read.
    struct Stamp: Decodable {
        var int: Int?
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { int = i } else { int = Int(try c.decode(String.self)) }
        }
    }

    /// Any JSON value, to tell "valid JSON of another shape" from "not JSON".
    struct AnyJSON: Decodable {
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { return }
            if (try? c.decode(Bool.self)) != nil || (try? c.decode(Double.self)) != nil || (try? c.decode(String.self)) != nil { return }
            if (try? c.decode([AnyJSON].self)) != nil { return }
            _ = try c.decode([String: AnyJSON].self)
        }
    }
}
