import EventLog
import Foundation
import WabulkBase

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

    /// The events of one POST. Inbound texts and button labels are compared with the opt-out keywords
    /// case-insensitively (Meta's marketing opt-out button arrives as its localised label).
    /// `isKnownLink`: whether a (number, user id) pair was already logged, so it is not logged again.
    public static func events(
        from body: [UInt8],
        receivedAt: Date,
        optOutKeywords: OptOutKeywords = .init(),
        isKnownLink: (_ phone: String, _ userID: String) -> Bool = { _, _ in false },
        seen: (WebhookField) -> Void = { _ in }
    ) throws(ParseError) -> [MessageEvent] {
        guard let document = JSONValue.parse(body), document.isObject else { throw .notJSON }
        guard let entries = document["entry"], case .array = entries else { throw .notWhatsAppEnvelope }
        var events: [MessageEvent] = []
        // A person named by both number and business-scoped user id, once per POST: what lets an opt-out that
        // comes with the user id alone reach the right contact.
        var linked: Set<String> = []
        func link(phone: String?, userID: String?, parentUserID: String?) {
            guard let phone, let userID, !userID.isEmpty, !isKnownLink(phone, userID), linked.insert(phone + " " + userID).inserted else { return }
            events.append(
                MessageEvent(
                    kind: .userLink,
                    time: receivedAt,
                    phone: phone,
                    source: EventSource.webhook.rawValue,
                    userID: userID,
                    parentUserID: parentUserID
                )
            )
        }
        for entry in entries.objects {
            for change in entry["changes"]?.objects ?? [] {
                guard let value = change["value"], value.isObject, let field = change["field"]?.string.flatMap(WebhookField.init(rawValue:))
                else { continue }
                seen(field)
                switch field {
                case .messages:
                    for status in value["statuses"]?.objects ?? [] {
                        guard let event = statusEvent(status, receivedAt: receivedAt) else { continue }
                        events.append(event)
                        link(phone: event.phone, userID: event.userID, parentUserID: event.parentUserID)
                        if let optOut = MessageEvent.marketingOptOut(after: event) { events.append(optOut) }
                    }
                    for contact in value["contacts"]?.objects ?? [] {
                        link(
                            phone: contact["wa_id"]?.string.map(Self.e164),
                            userID: contact["user_id"]?.string,
                            parentUserID: contact["parent_user_id"]?.string
                        )
                    }
                    for message in value["messages"]?.objects ?? [] {
                        let inbound = inboundEvent(message, receivedAt: receivedAt)
                        events.append(inbound)
                        link(phone: inbound.phone, userID: inbound.userID, parentUserID: inbound.parentUserID)
                        if let text = inbound.reason, optOutKeywords.match(text) {
                            events.append(
                                MessageEvent(
                                    kind: .optOut,
                                    time: receivedAt,
                                    phone: inbound.phone,
                                    wamid: inbound.wamid,
                                    metaTime: inbound.metaTime,
                                    reason: "replied \"\(text)\"",
                                    source: EventSource.webhook.rawValue,
                                    userID: inbound.userID,
                                    parentUserID: inbound.parentUserID
                                )
                            )
                        }
                    }
                    events += preferenceEvents(value, receivedAt: receivedAt)
                case .userPreferences:
                    events += preferenceEvents(value, receivedAt: receivedAt)
                case .businessCapability, .phoneNumberQuality, .accountUpdate:
                    events.append(accountEvent(field: field.rawValue, value, receivedAt: receivedAt))
                case .templateStatus:
                    if let event = templateStatusEvent(value, receivedAt: receivedAt) { events.append(event) }
                }
            }
        }
        return events
    }

    /// Meta changed the account: the messaging limit (`max_daily_conversations_per_business`, -1 unlimited; else
    /// the older `current_limit` tier), the number's quality (`event` FLAGGED, UNFLAGGED, …) or the account's
    /// standing (`event` ACCOUNT_VIOLATION, DISABLED_UPDATE with its ban state, …). `errorTitle` holds the
    /// event, `errorDetails` what came with it.
    static func accountEvent(field: String, _ value: JSONValue, receivedAt: Date) -> MessageEvent {
        let limit =
            value["max_daily_conversations_per_business"]?.integer.map(MessagingLimit.init(eventValue:))
            ?? value["current_limit"]?.string.flatMap(MessagingLimit.init(tier:))
        var details: [String] = []
        if let v = value["violation_info"]?["violation_type"]?.string { details.append("violation: \(v)") }
        if let ban = value["ban_info"], let state = ban["waba_ban_state"]?.string {
            details.append("ban state: \(state)" + (ban["waba_ban_date"]?.string.map { " (\($0))" } ?? ""))
        }
        if let r = value["restriction_info"]?.plainText, !r.isEmpty { details.append("restriction: \(r)") }
        if let q = (value["quality_rating"] ?? value["quality"])?.string { details.append("quality: \(q)") }
        if let t = value["current_limit"]?.string { details.append("limit: \(t)") }
        return MessageEvent(
            kind: .accountUpdate,
            time: receivedAt,
            errorTitle: value["event"]?.string.map { String($0.prefix(100)) },
            errorDetails: details.isEmpty ? nil : String(details.joined(separator: "; ").prefix(500)),
            reason: field,
            source: EventSource.webhook.rawValue,
            messagingLimit: limit?.eventValue
        )
    }

    /// `user_preferences[]`: the person stopped (or resumed) marketing messages in WhatsApp's own settings.
    static func preferenceEvents(_ value: JSONValue, receivedAt: Date) -> [MessageEvent] {
        (value["user_preferences"]?.objects ?? []).compactMap { p in
            let waID = p["wa_id"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            let userID = p["user_id"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            guard waID != nil || userID != nil, let choice = p["value"]?.string?.lowercased(), choice == "stop" || choice == "resume" else {
                return nil
            }
            let category = p["category"]?.string ?? "marketing_messages"
            return MessageEvent(
                kind: choice == "stop" ? .optOut : .optIn,
                time: receivedAt,
                phone: waID.map(Self.e164),
                metaTime: p["timestamp"]?.integer,
                reason: "\(choice == "stop" ? "stopped" : "resumed") \(category) in WhatsApp",
                source: EventSource.webhook.rawValue,
                userID: userID,
                parentUserID: p["parent_user_id"]?.string
            )
        }
    }

    /// `message_template_status_update`: a template was paused, disabled, approved again …
    static func templateStatusEvent(_ value: JSONValue, receivedAt: Date) -> MessageEvent? {
        guard let status = value["event"]?.string, let name = value["message_template_name"]?.string else { return nil }
        let why = value["other_info"]?["description"]?.string ?? value["reason"]?.string
        return MessageEvent(
            kind: .templateStatus,
            time: receivedAt,
            errorDetails: why,
            reason: status.uppercased(),
            source: EventSource.webhook.rawValue,
            template: name,
            language: value["message_template_language"]?.string
        )
    }

    static func statusEvent(_ s: JSONValue, receivedAt: Date) -> MessageEvent? {
        guard let statusText = s["status"]?.string, let status = MessageStatus(rawValue: statusText),
            [.sent, .delivered, .read, .failed].contains(status)
        else { return nil }
        let error = s["errors"]?.objects.first
        let pricing = s["pricing"]
        let recipient = s["recipient_id"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        return MessageEvent(
            time: receivedAt,
            status: status,
            job: s["biz_opaque_callback_data"]?.string.flatMap { $0.isEmpty ? nil : $0 },
            phone: recipient.map(Self.e164),
            wamid: s["id"]?.string,
            errorCode: error?["code"]?.integer,
            errorTitle: error?["title"]?.string,
            errorDetails: error?["error_data"]?["details"]?.string,
            metaTime: s["timestamp"]?.integer,
            pricingCategory: pricing?["category"]?.string,
            pricingType: pricing?["type"]?.string,
            source: EventSource.webhook.rawValue,
            failure: error == nil ? nil : .meta,
            userID: s["recipient_user_id"]?.string.flatMap { $0.isEmpty ? nil : $0 },
            parentUserID: s["recipient_parent_user_id"]?.string
        )
    }

    static func inboundEvent(_ m: JSONValue, receivedAt: Date) -> MessageEvent {
        let type = m["type"]?.string ?? "unknown"
        var text: String
        switch type {
        case "text": text = m["text"]?["body"]?.string ?? ""
        case "button": text = m["button"]?["text"]?.string ?? m["button"]?["payload"]?.string ?? ""
        case "interactive":
            let i = m["interactive"]
            text = (i?["button_reply"] ?? i?["list_reply"])?["title"]?.string ?? "[interactive]"
        default:
            // Media and the rest: the kind, and the caption a picture, video or document came with.
            let caption = m[type]?["caption"]?.string ?? m[type]?["filename"]?.string
            text = "[\(type)]" + (caption.map { " " + $0 } ?? "")
        }
        if text.count > 1000 { text = String(text.prefix(1000)) }
        let from = m["from"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        return MessageEvent(
            kind: .inbound,
            time: receivedAt,
            phone: from.map(Self.e164),
            wamid: m["id"]?.string,
            metaTime: m["timestamp"]?.string.flatMap(Int.init),
            reason: text,
            source: EventSource.webhook.rawValue,
            userID: m["from_user_id"]?.string.flatMap { $0.isEmpty ? nil : $0 },
            parentUserID: m["from_parent_user_id"]?.string,
            payload: (m["button"]?["payload"] ?? m["interactive"]?["button_reply"]?["id"] ?? m["interactive"]?["list_reply"]?["id"])?.string
                .map { String($0.prefix(256)) },
            replyTo: m["context"]?["id"]?.string.map { String($0.prefix(256)) }
        )
    }

    /// Meta writes numbers without the `+`.
    static func e164(_ digits: String) -> String { digits.hasPrefix("+") ? digits : "+" + digits }
}
