import Foundation

/// One documented setting: its key in wabulk.json, its environment name, its default and how it parses.
public struct SettingKey: Sendable {
    public let fileKey: String
    public let environmentName: String
    public let summary: String
    let apply: @Sendable (String, inout Settings, String) throws(SettingsError) -> Void

    public static let all: [SettingKey] = [
        .init("apiBaseURL", "WHATSAPP_API_BASE_URL", "Graph API base URL (Meta, or the sandbox)") { text, s, src throws(SettingsError) in
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .malformed(key: "apiBaseURL", source: src, value: text, expected: "an http(s) URL")
            }
            s.apiBaseURL = text.hasSuffix("/") ? String(text.dropLast()) : text
        },
        .init("apiVersion", "WHATSAPP_API_VERSION", "Graph API version") { text, s, src throws(SettingsError) in
            guard text.range(of: #"^v[0-9]+\.[0-9]+$"#, options: .regularExpression) != nil else {
                throw .malformed(key: "apiVersion", source: src, value: text, expected: "a version like v23.0")
            }
            s.apiVersion = text
        },
        .init("listen", "WABULK_LISTEN", "webhook listener address host:port") { text, s, src throws(SettingsError) in
            guard let a = ListenAddress(parsing: text) else {
                throw .malformed(key: "listen", source: src, value: text, expected: "host:port")
            }
            s.listen = a
        },
        .init("webhookPath", "WABULK_WEBHOOK_PATH", "path Meta posts webhooks to") { text, s, src throws(SettingsError) in
            guard text.hasPrefix("/") else { throw .malformed(key: "webhookPath", source: src, value: text, expected: "a path starting with /") }
            s.webhookPath = text
        },
        .init("rate", "WABULK_RATE", "installation-wide send rate, e.g. 30/min, 50/s") { text, s, src throws(SettingsError) in
            guard let r = SendRate(parsing: text) else { throw .malformed(key: "rate", source: src, value: text, expected: "a rate like 30/min") }
            s.rate = r
        },
        .init("maxAttempts", "WABULK_MAX_ATTEMPTS", "attempts per message for transient errors") { text, s, src throws(SettingsError) in
            s.maxAttempts = try int(text, key: "maxAttempts", source: src, range: 1...100)
        },
        .init("backoffBaseSeconds", "WABULK_BACKOFF_BASE_SECONDS", "first retry delay; doubles each attempt") { text, s, src throws(SettingsError) in
            s.backoffBaseSeconds = try double(text, key: "backoffBaseSeconds", source: src, range: 0...86400)
        },
        .init("sendConcurrency", "WABULK_SEND_CONCURRENCY", "requests in flight at once") { text, s, src throws(SettingsError) in
            s.sendConcurrency = try int(text, key: "sendConcurrency", source: src, range: 1...256)
        },
        .init("requestTimeoutSeconds", "WABULK_REQUEST_TIMEOUT_SECONDS", "total timeout of one API request") { text, s, src throws(SettingsError) in
            s.requestTimeoutSeconds = try double(text, key: "requestTimeoutSeconds", source: src, range: 0.1...600)
        },
        .init("defaultCountry", "WABULK_DEFAULT_COUNTRY", "calling code or region for national numbers (91 or IN)") {
            text,
            s,
            src throws(SettingsError) in
            guard text.range(of: #"^(\+?[0-9]{1,3}|[A-Za-z]{2})$"#, options: .regularExpression) != nil else {
                throw .malformed(key: "defaultCountry", source: src, value: text, expected: "a calling code like 91 or a region like IN")
            }
            s.defaultCountry = text.hasPrefix("+") ? String(text.dropFirst()) : text.uppercased()
        },
        .init("templateRefreshSeconds", "WABULK_TEMPLATE_REFRESH_SECONDS", "how often the daemon refreshes the template list (0: never)") {
            text,
            s,
            src throws(SettingsError) in
            s.templateRefreshSeconds = try double(text, key: "templateRefreshSeconds", source: src, range: 0...604800)
        },
        .init("inboxScanSeconds", "WABULK_INBOX_SCAN_SECONDS", "how often inbox/ is rescanned") { text, s, src throws(SettingsError) in
            s.inboxScanSeconds = try double(text, key: "inboxScanSeconds", source: src, range: 0.05...3600)
        },
        .init("inboxSettleSeconds", "WABULK_INBOX_SETTLE_SECONDS", "a file is taken once unchanged this long") { text, s, src throws(SettingsError) in
            s.inboxSettleSeconds = try double(text, key: "inboxSettleSeconds", source: src, range: 0...3600)
        },
        .init("planBatchSize", "WABULK_PLAN_BATCH_SIZE", "contacts planned per transaction (a batch's messages may go while the next is planned)") {
            text,
            s,
            src throws(SettingsError) in
            s.planBatchSize = try int(text, key: "planBatchSize", source: src, range: 100...100_000)
        },
        .init("timezone", "WABULK_TIMEZONE", "time zone of report dates") { text, s, src throws(SettingsError) in
            guard TimeZone(identifier: text) != nil else {
                throw .malformed(key: "timezone", source: src, value: text, expected: "an IANA time zone like Asia/Kolkata")
            }
            s.timezone = text
        },
        .init("reportDailyAt", "WABULK_REPORT_DAILY_AT", "daily scheduled report at this local time, e.g. 08:00 (empty: off)") {
            text,
            s,
            src throws(SettingsError) in
            guard text.isEmpty || text.range(of: #"^([01][0-9]|2[0-3]):[0-5][0-9]$"#, options: .regularExpression) != nil else {
                throw .malformed(key: "reportDailyAt", source: src, value: text, expected: "HH:MM, e.g. 08:00, or empty")
            }
            s.reportDailyAt = text
        },
        .init("reportEveryHours", "WABULK_REPORT_EVERY_HOURS", "a scheduled report every N hours (0: off)") { text, s, src throws(SettingsError) in
            s.reportEveryHours = try int(text, key: "reportEveryHours", source: src, range: 0...168)
        },
        .init("reportRecipients", "WABULK_REPORT_RECIPIENTS", "comma-separated addresses that get scheduled reports by email") {
            text,
            s,
            src throws(SettingsError) in
            let list = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard list.allSatisfy({ $0.contains("@") && !$0.contains(" ") }) else {
                throw .malformed(key: "reportRecipients", source: src, value: text, expected: "email addresses separated by commas")
            }
            s.reportRecipients = list
        },
        .init("reportFrom", "WABULK_REPORT_FROM", "sender address of report mails") { text, s, src throws(SettingsError) in
            guard text.contains("@") else { throw .malformed(key: "reportFrom", source: src, value: text, expected: "an email address") }
            s.reportFrom = text
        },
        .init(
            "smtpURL",
            "WABULK_SMTP_URL",
            "mail server: smtp://host:587 (STARTTLS) or smtps://host:465; SMTP_USERNAME and SMTP_PASSWORD from the environment"
        ) { text, s, src throws(SettingsError) in
            guard text.isEmpty || text.hasPrefix("smtp://") || text.hasPrefix("smtps://") else {
                throw .malformed(key: "smtpURL", source: src, value: text, expected: "smtp://host:port or smtps://host:port")
            }
            s.smtpURL = text
        },
        .init("smtpRequireTLS", "WABULK_SMTP_REQUIRE_TLS", "refuse to send report mail unless the server upgrades to TLS (STARTTLS)") {
            text,
            s,
            src throws(SettingsError) in
            s.smtpRequireTLS = try bool(text, key: "smtpRequireTLS", source: src)
        },
        .init("rateCard", "WABULK_RATE_CARD", "cost per billable message: marketing:91=0.0107,marketing=0.025,utility=0.004") {
            text,
            s,
            src throws(SettingsError) in
            guard let card = RateCard(parsing: text) else {
                throw .malformed(key: "rateCard", source: src, value: text, expected: "CATEGORY[:CODE]=RATE, comma-separated")
            }
            s.rateCard = card
        },
        .init("optOutKeywords", "WABULK_OPT_OUT_KEYWORDS", "comma-separated replies that opt a contact out (any case)") {
            text,
            s,
            src throws(SettingsError) in
            let words = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !words.isEmpty else {
                throw .malformed(key: "optOutKeywords", source: src, value: text, expected: "at least one word, e.g. STOP,UNSUBSCRIBE")
            }
            s.optOutKeywords = words
        },
        .init("allowVanityNumbers", "WABULK_ALLOW_VANITY_NUMBERS", "read letters in a phone cell as keypad digits instead of rejecting the row") {
            text,
            s,
            src throws(SettingsError) in
            s.allowVanityNumbers = try bool(text, key: "allowVanityNumbers", source: src)
        },
        .init("maxRowsPerFile", "WABULK_MAX_ROWS_PER_FILE", "data rows a contacts file may have; a longer one is refused whole (split it)") {
            text,
            s,
            src throws(SettingsError) in
            s.maxRowsPerFile = try int(text, key: "maxRowsPerFile", source: src, range: 1...50_000_000)
        },
        .init("messagingLimit", "WABULK_MESSAGING_LIMIT", "Meta's messaging limit: unique people a moving 24 h, or unlimited") {
            text,
            s,
            src throws(SettingsError) in
            if text.lowercased() == "unlimited" {
                s.messagingLimit = .unlimited
            } else {
                s.messagingLimit = .people(try int(text, key: "messagingLimit", source: src, range: 1...100_000_000))
            }
        },
        .init(
            "publicWebhookURL",
            "WABULK_PUBLIC_WEBHOOK_URL",
            "the callback URL saved in Meta's app dashboard; `wabulk doctor` tries Meta's verify handshake on it"
        ) { text, s, src throws(SettingsError) in
            guard text.isEmpty || text.hasPrefix("https://") || text.hasPrefix("http://") else {
                throw .malformed(key: "publicWebhookURL", source: src, value: text, expected: "an http(s) URL")
            }
            s.publicWebhookURL = text
        },
        .init(
            "appID",
            "WHATSAPP_APP_ID",
            "the Meta app's id; with WHATSAPP_APP_SECRET, `wabulk doctor` reads which webhook fields the app subscribes to"
        ) { text, s, src throws(SettingsError) in
            guard text.isEmpty || text.allSatisfy(\.isNumber) else {
                throw .malformed(key: "appID", source: src, value: text, expected: "the app's numeric id")
            }
            s.appID = text
        },
        .init(
            "webhookSilenceMinutes",
            "WABULK_WEBHOOK_SILENCE_MINUTES",
            "the status warns when messages sent this long ago have had no status webhook since (Meta answers a send within seconds)"
        ) { text, s, src throws(SettingsError) in
            s.webhookSilenceMinutes = try double(text, key: "webhookSilenceMinutes", source: src, range: 0.01...10_080)
        },
        .init(
            "liftHealthHolds",
            "WABULK_LIFT_HEALTH_HOLDS",
            "Meta's good news (quality unflagged, account reinstated) lifts the hold its bad news set; off: only `wabulk resume`"
        ) { text, s, src throws(SettingsError) in
            s.liftHealthHolds = try bool(text, key: "liftHealthHolds", source: src)
        },
        .init(
            "statusSeconds",
            "WABULK_STATUS_SECONDS",
            "how often outbox/status.json and outbox/status.html are rewritten"
        ) { text, s, src throws(SettingsError) in
            s.statusSeconds = try double(text, key: "statusSeconds", source: src, range: 1...3600)
        },
        .init(
            "campaignScanSeconds",
            "WABULK_CAMPAIGN_SCAN_SECONDS",
            "how often the daemon looks for recurring campaigns' occurrences that are due, newcomers to welcome (trigger) campaigns' audiences and A/B tests whose winner is due"
        ) { text, s, src throws(SettingsError) in
            s.campaignScanSeconds = try double(text, key: "campaignScanSeconds", source: src, range: 0.1...3600)
        },
        .init(
            "rawWebhookRetentionDays",
            "WABULK_RAW_WEBHOOK_RETENTION_DAYS",
            "days webhook bodies as received are kept in the event log (names, reply texts) before they are blanked; their events stay"
        ) { text, s, src throws(SettingsError) in
            s.rawWebhookRetentionDays = try int(text, key: "rawWebhookRetentionDays", source: src, range: 0...3650)
        },
        .init(
            "compressLogsAfterDays",
            "WABULK_COMPRESS_LOGS_AFTER_DAYS",
            "day files of the event log older than this many days are compressed with zstd, and still read by reports and `wabulk logs` (0: never; less than 7, Meta's webhook redelivery horizon, counts as 7)"
        ) { text, s, src throws(SettingsError) in
            s.compressLogsAfterDays = try int(text, key: "compressLogsAfterDays", source: src, range: 0...3650)
        },
        .init(
            "inboxDir",
            "WABULK_INBOX_DIR",
            "the shared folder staff drop files into (absolute, or relative to the home; empty: inbox/ in the home)"
        ) { text, s, src throws(SettingsError) in
            s.inboxDir = try sharedFolder(text, key: "inboxDir", source: src)
        },
        .init(
            "outboxDir",
            "WABULK_OUTBOX_DIR",
            "the shared folder receipts and reports go to (absolute, or relative to the home; empty: outbox/ in the home)"
        ) { text, s, src throws(SettingsError) in
            s.outboxDir = try sharedFolder(text, key: "outboxDir", source: src)
        },
        .init(
            "listenerHeaderSeconds",
            "WABULK_LISTENER_HEADER_SECONDS",
            "a webhook request's headers must arrive within this, or its connection is closed"
        ) { text, s, src throws(SettingsError) in
            s.listenerHeaderSeconds = try double(text, key: "listenerHeaderSeconds", source: src, range: 0.1...300)
        },
        .init("listenerBodySeconds", "WABULK_LISTENER_BODY_SECONDS", "a webhook request's body must end within this of its headers") {
            text,
            s,
            src throws(SettingsError) in
            s.listenerBodySeconds = try double(text, key: "listenerBodySeconds", source: src, range: 0.1...600)
        },
        .init("listenerMaxConnections", "WABULK_LISTENER_MAX_CONNECTIONS", "connections the webhook listener holds at once") {
            text,
            s,
            src throws(SettingsError) in
            s.listenerMaxConnections = try int(text, key: "listenerMaxConnections", source: src, range: 1...65536)
        },
        .init("insecureWebhooks", "WABULK_INSECURE_WEBHOOKS", "accept unsigned webhooks when no app secret is set (testing only)") {
            text,
            s,
            src throws(SettingsError) in
            s.insecureWebhooks = try bool(text, key: "insecureWebhooks", source: src)
        },
        .init(
            "reconcileSeconds",
            "WABULK_RECONCILE_SECONDS",
            "wait this long for webhooks about a message that may have reached Meta without an answer (a crash, a timeout)"
        ) { text, s, src throws(SettingsError) in
            s.reconcileSeconds = try double(text, key: "reconcileSeconds", source: src, range: 0...86400)
        },
        .init("afterReconcile", "WABULK_AFTER_RECONCILE", "then: resend, or hold (mark unknown for the operator)") {
            text,
            s,
            src throws(SettingsError) in
            guard ["resend", "hold"].contains(text) else {
                throw .malformed(key: "afterReconcile", source: src, value: text, expected: "resend or hold")
            }
            s.afterReconcile = text
        },
    ]

    init(
        _ fileKey: String,
        _ env: String,
        _ summary: String,
        apply: @escaping @Sendable (String, inout Settings, String) throws(SettingsError) -> Void
    ) {
        self.fileKey = fileKey
        self.environmentName = env
        self.summary = summary
        self.apply = apply
    }

    /// A shared folder's path: never the home itself or inside var/ (HomeLayout.checkPrivate also checks
    /// absolute paths against the home), never with `..`.
    private static func sharedFolder(_ text: String, key: String, source: String) throws(SettingsError) -> String {
        let parts = text.split(separator: "/").filter { $0 != "." }
        if text.isEmpty { return "" }
        guard !parts.contains(".."), !parts.isEmpty, text.hasPrefix("/") || parts.first != "var" else {
            throw .malformed(key: key, source: source, value: text, expected: "a folder outside var/ and other than the home, without ..")
        }
        return text
    }

    private static func int(_ text: String, key: String, source: String, range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard let v = Int(text), range.contains(v) else {
            throw .malformed(key: key, source: source, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    private static func bool(_ text: String, key: String, source: String) throws(SettingsError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .malformed(key: key, source: source, value: text, expected: "true or false")
        }
    }

    private static func double(_ text: String, key: String, source: String, range: ClosedRange<Double>) throws(SettingsError) -> Double {
        guard let v = Double(text), range.contains(v) else {
            throw .malformed(key: key, source: source, value: text, expected: "a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }
}
