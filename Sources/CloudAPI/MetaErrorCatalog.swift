/// The one table that decides what each Meta error code means for sending, keyed by `error.code`
/// (never by HTTP status or title, which Meta changes). Reports reuse the explanations.
public enum MetaErrorCatalog {
    public struct Entry: Sendable, Equatable {
        public var action: ErrorAction
        public var title: String
        /// What happened and what to do, in plain words for staff.
        public var explanation: String
    }

    public static let entries: [Int: Entry] = [
        0: .init(
            action: .stopQueue,
            title: "AuthException",
            explanation: "The access token could not be used. Get a new token, set WHATSAPP_TOKEN, then run `wabulk resume`."
        ),
        1: .init(action: .retry, title: "API Unknown", explanation: "Meta could not handle the request; it is retried a few times."),
        2: .init(action: .retry, title: "API Service", explanation: "Meta's service was briefly down; it is retried."),
        3: .init(
            action: .stopQueue,
            title: "API Method",
            explanation: "The app lacks a capability for this call. Check the app's permissions, then `wabulk resume`."
        ),
        4: .init(action: .slowDown, title: "API Too Many Calls", explanation: "The app hit its API call limit; sending slows down and retries."),
        10: .init(
            action: .stopQueue,
            title: "API Permission Denied",
            explanation: "A permission was not granted or was removed. Fix it in Meta's dashboard, then `wabulk resume`."
        ),
        33: .init(
            action: .stopQueue,
            title: "Parameter value is not valid",
            explanation: "The business phone number was deleted. Check WHATSAPP_PHONE_NUMBER_ID."
        ),
        100: .init(
            action: .fail,
            title: "Invalid parameter",
            explanation: "Meta rejected a parameter (misspelled, unsupported or too long). Check the manifest's variables."
        ),
        190: .init(
            action: .stopQueue,
            title: "Access token has expired",
            explanation: "The access token expired. Set a new WHATSAPP_TOKEN and run `wabulk resume`; nothing was marked failed."
        ),
        368: .init(
            action: .stopQueue,
            title: "Temporarily blocked for policies violations",
            explanation: "The WhatsApp Business Account is restricted for a policy violation. Sending is paused."
        ),
        80007: .init(
            action: .slowDown,
            title: "Rate limit issues",
            explanation: "The business account reached its rate limit; sending slows down and retries."
        ),
        80008: .init(
            action: .slowDown,
            title: "Rate limit issues",
            explanation: "Too many calls to this business account; sending slows down and retries."
        ),
        130403: .init(action: .fail, title: "Recipient blocked", explanation: "The business has blocked this user."),
        130429: .init(
            action: .slowDown,
            title: "Rate limit hit",
            explanation: "The number's throughput was exceeded; sending slows down and retries."
        ),
        130472: .init(
            action: .fail,
            title: "User's number is part of an experiment",
            explanation: "Meta held the message back for a marketing experiment; it is not retried, not charged, and counted apart from failures."
        ),
        130497: .init(
            action: .fail,
            title: "Business account is restricted from messaging users in this country",
            explanation: "This account may not message users in that country."
        ),
        131000: .init(
            action: .retry,
            title: "Something went wrong",
            explanation: "Meta failed to send for an unknown reason; it is retried a few times."
        ),
        131005: .init(action: .stopQueue, title: "Access denied", explanation: "A permission was not granted or was removed. Sending is paused."),
        131008: .init(
            action: .fail,
            title: "Required parameter is missing",
            explanation: "The request missed a required parameter. Check the manifest."
        ),
        131009: .init(action: .fail, title: "Parameter value is not valid", explanation: "A parameter value is invalid (often the phone number)."),
        131016: .init(action: .retry, title: "Service unavailable", explanation: "A Meta service was temporarily unavailable; it is retried."),
        131021: .init(action: .fail, title: "Recipient cannot be sender", explanation: "The recipient is the business number itself."),
        131026: .init(
            action: .fail,
            title: "Message undeliverable",
            explanation: "The number is not on WhatsApp, has not accepted the latest terms, or uses an old app. Check the number; it is not retried."
        ),
        131031: .init(
            action: .stopQueue,
            title: "Account has been locked",
            explanation: "The business account is locked. Sending is paused until it is resolved."
        ),
        131037: .init(
            action: .stopQueue,
            title: "Display name approval needed",
            explanation: "The number has no approved display name. Sending is paused."
        ),
        131042: .init(
            action: .stopQueue,
            title: "Business eligibility payment issue",
            explanation: "There is a payment problem on the business account. Sending is paused."
        ),
        131045: .init(
            action: .stopQueue,
            title: "Incorrect certificate",
            explanation: "The phone number registration has a problem. Sending is paused."
        ),
        131047: .init(
            action: .fail,
            title: "Re-engagement message",
            explanation: "More than 24 hours passed since the user last wrote; only templates can be sent."
        ),
        131048: .init(
            action: .stopQueue,
            title: "Spam rate limit hit",
            explanation:
                "Meta restricted the number because earlier messages were blocked or reported. Sending is paused; review quality before resuming."
        ),
        131049: .init(
            action: .retryAfterADay,
            title: "Meta chose not to deliver",
            explanation:
                "WhatsApp limited marketing messages to this user; it is retried no sooner than 24 hours later, at most twice, then marked failed."
        ),
        131050: .init(
            action: .fail,
            title: "User stopped marketing messages",
            explanation:
                "The user turned off marketing messages from this business: wabulk opted them out of marketing (source meta-131050); utility and authentication templates still reach them."
        ),
        131051: .init(action: .fail, title: "Unsupported message type", explanation: "The message type is not supported."),
        131053: .init(
            action: .stopCampaign,
            title: "Media upload error",
            explanation:
                "Meta could not fetch the header's media. A file dropped with the manifest is uploaded again once; after that, or for a link or media id, the campaign stops until the media is fixed."
        ),
        131056: .init(
            action: .slowDownRecipient,
            title: "Pair rate limit hit",
            explanation: "Too many messages to this one recipient in a short time; that recipient waits, others continue."
        ),
        131057: .init(
            action: .retry,
            title: "Account in maintenance mode",
            explanation: "The account is in maintenance (e.g. a throughput upgrade); it is retried after about a minute."
        ),
        131063: .init(
            action: .stopCampaign,
            title: "Marketing messages disabled",
            explanation: "Marketing templates are disabled for this account; the campaign stops."
        ),
        131064: .init(
            action: .stopQueue,
            title: "Messaging limit reached",
            explanation: "Meta limited the number for template classification violations. Sending is paused."
        ),
        132000: .init(
            action: .fail,
            title: "Number of parameters does not match the expected number of params",
            explanation: "The manifest's variables do not match the template's placeholders."
        ),
        132001: .init(
            action: .stopCampaign,
            title: "Template does not exist",
            explanation: "The template does not exist in that language or is not approved; the campaign stops."
        ),
        132005: .init(action: .fail, title: "Translated text too long", explanation: "The filled-in text is too long; shorten the variables."),
        132007: .init(
            action: .stopCampaign,
            title: "Template format character policy violated",
            explanation: "The template content violates policy; the campaign stops."
        ),
        132012: .init(
            action: .stopCampaign,
            title: "Parameter format does not match format in the created template",
            explanation:
                "The message does not have the parts the template was created with (a media header left out or of the wrong kind): every message of the campaign would fail, so it stops until the manifest is fixed."
        ),
        132015: .init(
            action: .stopCampaign,
            title: "Template is paused",
            explanation: "Meta paused the template for low quality; the campaign stops until it is reinstated."
        ),
        132016: .init(
            action: .stopCampaign,
            title: "Template is disabled",
            explanation: "The template was disabled permanently; a new template is needed."
        ),
        133004: .init(
            action: .retry,
            title: "Server temporarily unavailable",
            explanation: "Meta's server was temporarily unavailable; it is retried."
        ),
        133010: .init(
            action: .stopQueue,
            title: "Phone number not registered",
            explanation: "The business number is not registered on the platform. Sending is paused."
        ),
        135000: .init(action: .fail, title: "Generic user error", explanation: "Meta rejected the request parameters."),
        137000: .init(action: .fail, title: "Identity key mismatch", explanation: "The recipient's identity changed; verify them outside WhatsApp."),
    ]

    /// The entry for a code; permission codes 200–299 stop the queue, unknown codes fail the one message.
    public static func entry(for code: Int) -> Entry {
        if let e = entries[code] { return e }
        if (200...299).contains(code) {
            return .init(action: .stopQueue, title: "API Permission", explanation: "A permission was not granted or was removed. Sending is paused.")
        }
        return .init(action: .fail, title: "Error \(code)", explanation: "Meta reported error \(code); see Meta's error code reference.")
    }
}
