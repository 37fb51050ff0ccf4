import EventLog
import Foundation

/// Reads a webhook POST body (meta-cloud-api.md, section 6) into events: every entry, every change,
/// every status and message. Unknown fields are ignored.
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
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { throw .notJSON }
        guard let entries = object["entry"] as? [[String: Any]] else { throw .notWhatsAppEnvelope }
        let keywords = Set(optOutKeywords.map { $0.lowercased() })
        var events: [MessageEvent] = []
        for entry in entries {
            for change in entry["changes"] as? [[String: Any]] ?? [] {
                guard let value = change["value"] as? [String: Any] else { continue }
                switch change["field"] as? String {
                case "messages":
                    for status in value["statuses"] as? [[String: Any]] ?? [] {
                        if let event = statusEvent(status, receivedAt: receivedAt) { events.append(event) }
                    }
                    for message in value["messages"] as? [[String: Any]] ?? [] {
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
    static func preferenceEvents(_ value: [String: Any], receivedAt: Date) -> [MessageEvent] {
        (value["user_preferences"] as? [[String: Any]] ?? []).compactMap { p in
            guard let waID = p["wa_id"] as? String, let choice = (p["value"] as? String)?.lowercased(), choice == "stop" || choice == "resume" else { return nil }
            let category = p["category"] as? String ?? "marketing_messages"
            return MessageEvent(kind: choice == "stop" ? .optOut : .optIn, time: receivedAt, phone: waID.hasPrefix("+") ? waID : "+" + waID,
                                metaTime: (p["timestamp"] as? NSNumber)?.intValue ?? (p["timestamp"] as? String).flatMap(Int.init),
                                reason: "\(choice == "stop" ? "stopped" : "resumed") \(category) in WhatsApp", source: "webhook")
        }
    }

    /// `message_template_status_update`: a template was paused, disabled, approved again …
    static func templateStatusEvent(_ value: [String: Any], receivedAt: Date) -> MessageEvent? {
        guard let status = value["event"] as? String, let name = value["message_template_name"] as? String else { return nil }
        var why = value["reason"] as? String
        if let other = value["other_info"] as? [String: Any], let d = other["description"] as? String { why = d }
        return MessageEvent(kind: .templateStatus, time: receivedAt, errorDetails: why, reason: status.uppercased(), source: "webhook",
                            template: name, language: value["message_template_language"] as? String)
    }

    static func statusEvent(_ s: [String: Any], receivedAt: Date) -> MessageEvent? {
        guard let statusText = s["status"] as? String, let status = MessageStatus(rawValue: statusText),
              [.sent, .delivered, .read, .failed].contains(status) else { return nil }
        let error = (s["errors"] as? [[String: Any]])?.first
        let pricing = s["pricing"] as? [String: Any]
        let recipient = s["recipient_id"] as? String
        return MessageEvent(time: receivedAt, status: status,
                            job: (s["biz_opaque_callback_data"] as? String).flatMap { $0.isEmpty ? nil : $0 },
                            phone: recipient.map { $0.hasPrefix("+") ? $0 : "+" + $0 },
                            wamid: s["id"] as? String,
                            errorCode: (error?["code"] as? NSNumber)?.intValue,
                            errorTitle: error?["title"] as? String,
                            errorDetails: (error?["error_data"] as? [String: Any])?["details"] as? String,
                            metaTime: (s["timestamp"] as? String).flatMap(Int.init) ?? (s["timestamp"] as? NSNumber)?.intValue,
                            pricingCategory: pricing?["category"] as? String,
                            pricingType: pricing?["type"] as? String,
                            source: "webhook")
    }

    static func inboundEvent(_ m: [String: Any], receivedAt: Date) -> MessageEvent {
        let type = m["type"] as? String ?? "unknown"
        var text: String
        switch type {
        case "text": text = (m["text"] as? [String: Any])?["body"] as? String ?? ""
        case "button":
            let button = m["button"] as? [String: Any]
            text = button?["text"] as? String ?? button?["payload"] as? String ?? ""
        case "interactive":
            let i = m["interactive"] as? [String: Any]
            text = ((i?["button_reply"] ?? i?["list_reply"]) as? [String: Any])?["title"] as? String ?? "[interactive]"
        default: text = "[\(type)]"
        }
        if text.count > 1000 { text = String(text.prefix(1000)) }
        let from = m["from"] as? String
        return MessageEvent(kind: .inbound, time: receivedAt, phone: from.map { "+" + $0 }, wamid: m["id"] as? String,
                            metaTime: (m["timestamp"] as? String).flatMap(Int.init), reason: text, source: "webhook")
    }
}
