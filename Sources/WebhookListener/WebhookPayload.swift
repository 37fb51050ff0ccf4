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

    public static func events(from body: [UInt8], receivedAt: Date) throws(ParseError) -> [MessageEvent] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { throw .notJSON }
        guard let entries = object["entry"] as? [[String: Any]] else { throw .notWhatsAppEnvelope }
        var events: [MessageEvent] = []
        for entry in entries {
            for change in entry["changes"] as? [[String: Any]] ?? [] {
                guard change["field"] as? String == "messages", let value = change["value"] as? [String: Any] else { continue }
                for status in value["statuses"] as? [[String: Any]] ?? [] {
                    if let event = statusEvent(status, receivedAt: receivedAt) { events.append(event) }
                }
                for message in value["messages"] as? [[String: Any]] ?? [] {
                    events.append(inboundEvent(message, receivedAt: receivedAt))
                }
            }
        }
        return events
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
        case "button": text = (m["button"] as? [String: Any])?["payload"] as? String ?? ""
        default: text = "[\(type)]"
        }
        if text.count > 1000 { text = String(text.prefix(1000)) }
        let from = m["from"] as? String
        return MessageEvent(kind: .inbound, time: receivedAt, phone: from.map { "+" + $0 }, wamid: m["id"] as? String,
                            metaTime: (m["timestamp"] as? String).flatMap(Int.init), reason: text, source: "webhook")
    }
}
