import Foundation

/// The sandbox's business account as Meta would report it: the messaging limit it enforces and serves, the
/// number's quality rating. `POST /sandbox/account-update` changes them and tells the listener, as Meta's
/// `business_capability_update`, `phone_number_quality_update` and `account_update` webhooks do.
actor SandboxAccount {
    /// Unique people a moving 24 hours (nil: unlimited).
    private(set) var messagingLimit: Int?
    private(set) var quality = "GREEN"

    init(messagingLimit: Int?) { self.messagingLimit = messagingLimit }

    /// The limit as the phone number's fields write it.
    var tier: String {
        switch messagingLimit {
        case nil: "TIER_UNLIMITED"
        case let n? where n % 1000 == 0: "TIER_\(n / 1000)K"
        case let n?: "TIER_\(n)"
        }
    }

    /// A command to the sandbox (`{"field": …, "event": …, "limit": …, "violation": …, "banState": …}`) as the
    /// webhook change Meta would post; the account changes with it. Nil when the field is not one of the three.
    func change(command body: Data) -> Data? {
        guard let command = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let change = change(command: command) else {
            return nil
        }
        return try? JSONSerialization.data(withJSONObject: change, options: [.sortedKeys])
    }

    private func change(command: [String: Any]) -> [String: Any]? {
        let event = command["event"] as? String
        switch command["field"] as? String {
        case "business_capability_update":
            let limit = command["limit"] as? Int ?? -1
            messagingLimit = limit < 0 ? nil : limit
            return [
                "field": "business_capability_update",
                "value": ["max_daily_conversations_per_business": limit, "max_phone_numbers_per_business": 2] as [String: Any],
            ]
        case "phone_number_quality_update":
            let event = event ?? "FLAGGED"
            switch event {
            case "FLAGGED": quality = "RED"
            case "UNFLAGGED": quality = "GREEN"
            default: break
            }
            if let limit = command["limit"] as? Int { messagingLimit = limit < 0 ? nil : limit }
            var value: [String: Any] = ["display_phone_number": "15550001111", "event": event, "current_limit": tier]
            if let limit = command["limit"] as? Int { value["max_daily_conversations_per_business"] = limit }
            return ["field": "phone_number_quality_update", "value": value]
        case "account_update":
            let event = event ?? "ACCOUNT_VIOLATION"
            var value: [String: Any] = ["event": event]
            if event == "ACCOUNT_VIOLATION" { value["violation_info"] = ["violation_type": command["violation"] as? String ?? "SCAM"] }
            if event == "DISABLED_UPDATE" {
                value["ban_info"] = ["waba_ban_state": command["banState"] as? String ?? "DISABLE", "waba_ban_date": "December 5, 2026"]
            }
            return ["field": "account_update", "value": value]
        default:
            return nil
        }
    }
}
