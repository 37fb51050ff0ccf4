/// The webhook fields of a WhatsApp Business Account that wabulk acts on. Meta posts a field only when the
/// app subscribes to it (App Dashboard → WhatsApp → Configuration → Webhook fields), so each must be
/// subscribed; `wabulk doctor` checks, the status warns when they fall silent, the README lists them.
public enum WebhookField: String, CaseIterable, Sendable, Codable {
    case messages
    case userPreferences = "user_preferences"
    case templateStatus = "message_template_status_update"
    case phoneNumberQuality = "phone_number_quality_update"
    case accountUpdate = "account_update"
    case businessCapability = "business_capability_update"

    /// What wabulk loses without it, in the operator's words.
    public var why: String {
        switch self {
        case .messages: "delivery statuses (sent, delivered, read, failed), replies and STOP replies"
        case .userPreferences: "marketing opt-outs made in WhatsApp's own settings: without it they are lost and people who stopped marketing get it"
        case .templateStatus: "templates paused or disabled by Meta: without it a campaign keeps sending a template Meta refuses"
        case .phoneNumberQuality: "the number's quality and messaging limit changes: marketing is held when the number is flagged"
        case .accountUpdate: "account restrictions, violations and bans: sending stops when the account is restricted"
        case .businessCapability: "the business's messaging limit raised or lowered"
        }
    }
}
