/// Meta's error bodies and (older, documented) HTTP statuses for the codes the sandbox can answer with.
enum MetaErrorShapes {
    static let titles: [Int: (title: String, details: String, http: Int)] = [
        0: ("AuthException", "Unable to authenticate the app user.", 401),
        4: ("API Too Many Calls", "The app has reached its API call rate limit.", 400),
        10: ("API Permission Denied", "Permission is not granted or has been removed.", 403),
        100: ("Invalid parameter", "Unsupported or misspelled parameter.", 400),
        190: ("Access token has expired", "Error validating access token: Session has expired.", 401),
        130429: ("Rate limit hit", "Cloud API message throughput has been reached.", 400),
        130472: ("User's number is part of an experiment", "Failed to send message because this user's phone number is part of an experiment.", 400),
        131000: ("Something went wrong", "Message failed to send because of an unknown error.", 500),
        131016: ("Service unavailable", "A service is temporarily unavailable.", 500),
        131026: ("Message undeliverable", "Unable to deliver message.", 400),
        131047: ("Re-engagement message", "More than 24 hours have passed since the recipient last replied.", 400),
        131049: ("This message was not delivered to maintain healthy ecosystem engagement.", "Marketing per-user limit.", 400),
        131050: (
            "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
            "Marketing opt-out.", 400
        ),
        131056: ("(Business Account, Consumer Account) pair rate limit hit", "Too many messages sent to this phone number in a short period.", 400),
        132000: (
            "Number of parameters does not match the expected number of params",
            "body: number of localizable_params (1) does not match the expected number of params (2)", 400
        ),
        132001: ("Template name does not exist in the translation", "template name (x) does not exist in en_US", 404),
        131053: ("Media upload error", "Unable to download the media sent by the business.", 400),
        132012: ("Parameter format does not match format in the created template", "header: Format mismatch", 400),
        133004: ("Server temporarily unavailable", "Server is temporarily unavailable.", 503),
    ]

    static func body(code: Int, traceID: String, details: String? = nil) -> (status: Int, json: [String: Any]) {
        var known = titles[code] ?? ("Error \(code)", "Scripted sandbox error.", 400)
        if let details { known.details = details }
        var error: [String: Any] = [
            "message": "(#\(code)) \(known.title)",
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": traceID,
        ]
        if code != 190 && code != 0 {
            error["error_data"] = ["messaging_product": "whatsapp", "details": known.details]
        }
        return (known.http, ["error": error])
    }

    static func webhookError(code: Int) -> [String: Any] {
        let known = titles[code] ?? ("Error \(code)", "Scripted sandbox error.", 400)
        return [
            "code": code, "title": known.title, "message": known.title, "error_data": ["details": known.details],
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        ]
    }
}
