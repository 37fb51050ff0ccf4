import Foundation

/// One documented setting: its key in wabulk.json, its environment name, its default and how it parses.
public struct SettingKey: Sendable {
    public let fileKey: String
    public let environmentName: String
    /// The default as CONFIGURATION.md shows it (markdown: `30/min`, unset …).
    public let defaultText: String
    /// What it does, as CONFIGURATION.md and `wabulk config` say it.
    public let documentation: String
    let apply: @Sendable (String, inout Settings, String) throws(SettingsError) -> Void

    public static let all: [SettingKey] = [
        .init(
            "apiBaseURL",
            "WHATSAPP_API_BASE_URL",
            default: #"`https://graph.facebook.com`"#,
            #"Graph API base URL (Meta, or the sandbox)"#
        ) { text, s, src throws(SettingsError) in
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .malformed(key: "apiBaseURL", source: src, value: text, expected: "an http(s) URL")
            }
            s.apiBaseURL = text.hasSuffix("/") ? String(text.dropLast()) : text
        },
        .init(
            "apiVersion",
            "WHATSAPP_API_VERSION",
            default: #"`v23.0`"#,
            #"Graph API version"#
        ) { text, s, src throws(SettingsError) in
            guard text.range(of: #"^v[0-9]+\.[0-9]+$"#, options: .regularExpression) != nil else {
                throw .malformed(key: "apiVersion", source: src, value: text, expected: "a version like v23.0")
            }
            s.apiVersion = text
        },
        .init(
            "listen",
            "WABULK_LISTEN",
            default: #"`127.0.0.1:8080`"#,
            #"webhook listener address"#
        ) { text, s, src throws(SettingsError) in
            guard let a = ListenAddress(parsing: text) else {
                throw .malformed(key: "listen", source: src, value: text, expected: "host:port")
            }
            s.listen = a
        },
        .init(
            "webhookPath",
            "WABULK_WEBHOOK_PATH",
            default: #"`/api/whatsapp/webhook`"#,
            #"path Meta posts to (the seed system's)"#
        ) { text, s, src throws(SettingsError) in
            guard text.hasPrefix("/") else { throw .malformed(key: "webhookPath", source: src, value: text, expected: "a path starting with /") }
            s.webhookPath = text
        },
        .init(
            "rate",
            "WABULK_RATE",
            default: #"`30/min`"#,
            #"installation-wide ceiling: never more in any window (`N/s`, `N/min`, `N/h`)"#
        ) { text, s, src throws(SettingsError) in
            guard let r = SendRate(parsing: text) else { throw .malformed(key: "rate", source: src, value: text, expected: "a rate like 30/min") }
            s.rate = r
        },
        .init(
            "maxAttempts",
            "WABULK_MAX_ATTEMPTS",
            default: #"`3`"#,
            #"attempts per message for transient errors"#
        ) { text, s, src throws(SettingsError) in
            s.maxAttempts = try int(text, key: "maxAttempts", source: src, range: 1...100)
        },
        .init(
            "backoffBaseSeconds",
            "WABULK_BACKOFF_BASE_SECONDS",
            default: #"`5`"#,
            #"first retry delay; doubles each attempt"#
        ) { text, s, src throws(SettingsError) in
            s.backoffBaseSeconds = try double(text, key: "backoffBaseSeconds", source: src, range: 0...86400)
        },
        .init(
            "sendConcurrency",
            "WABULK_SEND_CONCURRENCY",
            default: #"`4`"#,
            #"requests in flight at once"#
        ) { text, s, src throws(SettingsError) in
            s.sendConcurrency = try int(text, key: "sendConcurrency", source: src, range: 1...256)
        },
        .init(
            "requestTimeoutSeconds",
            "WABULK_REQUEST_TIMEOUT_SECONDS",
            default: #"`15`"#,
            #"total timeout of one API request"#
        ) { text, s, src throws(SettingsError) in
            s.requestTimeoutSeconds = try double(text, key: "requestTimeoutSeconds", source: src, range: 0.1...600)
        },
        .init(
            "defaultCountry",
            "WABULK_DEFAULT_COUNTRY",
            default: #"`91`"#,
            #"calling code (`91`) or region (`IN`) for numbers written without one"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            guard text.range(of: #"^(\+?[0-9]{1,3}|[A-Za-z]{2})$"#, options: .regularExpression) != nil else {
                throw .malformed(key: "defaultCountry", source: src, value: text, expected: "a calling code like 91 or a region like IN")
            }
            s.defaultCountry = text.hasPrefix("+") ? String(text.dropFirst()) : text.uppercased()
        },
        .init(
            "templateRefreshSeconds",
            "WABULK_TEMPLATE_REFRESH_SECONDS",
            default: #"`3600`"#,
            #"how often the daemon refreshes the template cache from Meta (0: never; needs `WHATSAPP_BUSINESS_ACCOUNT_ID`)"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.templateRefreshSeconds = try double(text, key: "templateRefreshSeconds", source: src, range: 0...604800)
        },
        .init(
            "inboxScanSeconds",
            "WABULK_INBOX_SCAN_SECONDS",
            default: #"`2`"#,
            #"how often inbox/ is rescanned"#
        ) { text, s, src throws(SettingsError) in
            s.inboxScanSeconds = try double(text, key: "inboxScanSeconds", source: src, range: 0.05...3600)
        },
        .init(
            "inboxSettleSeconds",
            "WABULK_INBOX_SETTLE_SECONDS",
            default: #"`2`"#,
            #"a file is taken once unchanged this long"#
        ) { text, s, src throws(SettingsError) in
            s.inboxSettleSeconds = try double(text, key: "inboxSettleSeconds", source: src, range: 0...3600)
        },
        .init(
            "planBatchSize",
            "WABULK_PLAN_BATCH_SIZE",
            default: #"`5000`"#,
            #"contacts a campaign's planning reads, renders, logs and spools in one transaction (100–100,000). Each batch's messages can be sent while the next is planned, and a crash resumes after the last batch that landed; memory does not grow with the audience"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.planBatchSize = try int(text, key: "planBatchSize", source: src, range: 100...100_000)
        },
        .init(
            "timezone",
            "WABULK_TIMEZONE",
            default: #"`UTC`"#,
            #"time zone of dates in reports"#
        ) { text, s, src throws(SettingsError) in
            guard TimeZone(identifier: text) != nil else {
                throw .malformed(key: "timezone", source: src, value: text, expected: "an IANA time zone like Asia/Kolkata")
            }
            s.timezone = text
        },
        .init(
            "reportDailyAt",
            "WABULK_REPORT_DAILY_AT",
            default: #"empty (off)"#,
            #"a scheduled report every day at this local time (`timezone`), e.g. `08:00`, covering the 24 hours before"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            guard text.isEmpty || text.range(of: #"^([01][0-9]|2[0-3]):[0-5][0-9]$"#, options: .regularExpression) != nil else {
                throw .malformed(key: "reportDailyAt", source: src, value: text, expected: "HH:MM, e.g. 08:00, or empty")
            }
            s.reportDailyAt = text
        },
        .init(
            "reportEveryHours",
            "WABULK_REPORT_EVERY_HOURS",
            default: #"`0` (off)"#,
            #"a scheduled report every N hours, covering those hours"#
        ) { text, s, src throws(SettingsError) in
            s.reportEveryHours = try int(text, key: "reportEveryHours", source: src, range: 0...168)
        },
        .init(
            "reportRecipients",
            "WABULK_REPORT_RECIPIENTS",
            default: #"empty"#,
            #"who gets scheduled reports by email (a JSON list in wabulk.json, comma-separated in the environment)"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            let list = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard list.allSatisfy({ $0.contains("@") && !$0.contains(" ") }) else {
                throw .malformed(key: "reportRecipients", source: src, value: text, expected: "email addresses separated by commas")
            }
            s.reportRecipients = list
        },
        .init(
            "reportFrom",
            "WABULK_REPORT_FROM",
            default: #"`wabulk@localhost`"#,
            #"sender address of report mails"#
        ) { text, s, src throws(SettingsError) in
            guard text.contains("@") else { throw .malformed(key: "reportFrom", source: src, value: text, expected: "an email address") }
            s.reportFrom = text
        },
        .init(
            "smtpURL",
            "WABULK_SMTP_URL",
            default: #"empty (no mail)"#,
            #"`smtp://host:587` (STARTTLS) or `smtps://host:465`; login from `SMTP_USERNAME` / `SMTP_PASSWORD`"#
        ) { text, s, src throws(SettingsError) in
            guard text.isEmpty || text.hasPrefix("smtp://") || text.hasPrefix("smtps://") else {
                throw .malformed(key: "smtpURL", source: src, value: text, expected: "smtp://host:port or smtps://host:port")
            }
            s.smtpURL = text
        },
        .init(
            "smtpRequireTLS",
            "WABULK_SMTP_REQUIRE_TLS",
            default: #"`true`"#,
            #"refuse to send report mail over `smtp://` unless the server upgrades to TLS"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.smtpRequireTLS = try bool(text, key: "smtpRequireTLS", source: src)
        },
        .init(
            "rateCard",
            "WABULK_RATE_CARD",
            default: #"empty"#,
            #"cost per billable message for the Cost sheet: `marketing:91=0.0107,marketing=0.025,utility=0.004` (category with a calling code, or alone for every other country)"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            guard let card = RateCard(parsing: text) else {
                throw .malformed(key: "rateCard", source: src, value: text, expected: "CATEGORY[:CODE]=RATE, comma-separated")
            }
            s.rateCard = card
        },
        .init(
            "optOutKeywords",
            "WABULK_OPT_OUT_KEYWORDS",
            default: #"`STOP,UNSUBSCRIBE,STOP PROMOTIONS,PARAR PROMOÇÕES,PARAR PROMOCIONES,बंद करें`"#,
            #"an inbound reply or button label equal to one of these (any case) opts the contact out; a JSON list in wabulk.json, comma-separated in the environment"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            let words = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !words.isEmpty else {
                throw .malformed(key: "optOutKeywords", source: src, value: text, expected: "at least one word, e.g. STOP,UNSUBSCRIBE")
            }
            s.optOutKeywords = words
        },
        .init(
            "allowVanityNumbers",
            "WABULK_ALLOW_VANITY_NUMBERS",
            default: #"`false`"#,
            #"read letters in a phone cell as keypad digits (1-800-FLOWERS); off, such a row is rejected with reason `letters` (a placeholder like `98450ABCDE` would otherwise become a stranger's number)"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.allowVanityNumbers = try bool(text, key: "allowVanityNumbers", source: src)
        },
        .init(
            "maxRowsPerFile",
            "WABULK_MAX_ROWS_PER_FILE",
            default: #"`2000000`"#,
            #"data rows a contacts file may have (CSV, TSV and XLSX); a longer file is refused whole with a receipt saying so (split it). Each row also has at most 1,000 columns and each cell at most 64 KiB"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.maxRowsPerFile = try int(text, key: "maxRowsPerFile", source: src, range: 1...50_000_000)
        },
        .init(
            "messagingLimit",
            "WABULK_MESSAGING_LIMIT",
            default: #"unset"#,
            #"Meta's messaging limit for the business portfolio: unique people business-initiated messages may reach in a moving 24 hours (`250`, `2000`, … or `unlimited`). wabulk counts the people it messaged in the last 24 hours (from its event log) and holds a message to someone new back, deferred with the reason, until the window has room, instead of letting Meta fail it. Unset, the limit Meta reports is used (read from the phone number at start and hourly, and from `business_capability_update` webhooks; `var/account.json`). A campaign whose audience needs more than the limit leaves is accepted with a receipt warning saying when it will finish, or refused when its manifest says `"onLimit": "refuse"` (docs/MANIFEST.md)"#
        ) {
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
            default: #"`""`"#,
            #"the callback URL saved in Meta's app dashboard (what reaches the listener from outside: a proxy or tunnel in front of `listen`); `wabulk doctor` sends Meta's verify handshake to it and expects the challenge back. Unset, that check is skipped"#
        ) { text, s, src throws(SettingsError) in
            guard text.isEmpty || text.hasPrefix("https://") || text.hasPrefix("http://") else {
                throw .malformed(key: "publicWebhookURL", source: src, value: text, expected: "an http(s) URL")
            }
            s.publicWebhookURL = text
        },
        .init(
            "appID",
            "WHATSAPP_APP_ID",
            default: #"`""`"#,
            #"the Meta app's id; with `WHATSAPP_APP_SECRET`, `wabulk doctor` reads which webhook fields the app subscribes to (`GET /{app-id}/subscriptions` with the app token)"#
        ) { text, s, src throws(SettingsError) in
            guard text.isEmpty || text.allSatisfy(\.isNumber) else {
                throw .malformed(key: "appID", source: src, value: text, expected: "the app's numeric id")
            }
            s.appID = text
        },
        .init(
            "webhookSilenceMinutes",
            "WABULK_WEBHOOK_SILENCE_MINUTES",
            default: #"`60`"#,
            #"the status (`wabulk status`, status.json, the status page) warns when messages sent this long ago have had no status webhook since: Meta answers a send with a `sent` status within seconds, so a silence that long means webhooks are not arriving (0.01–10080)"#
        ) { text, s, src throws(SettingsError) in
            s.webhookSilenceMinutes = try double(text, key: "webhookSilenceMinutes", source: src, range: 0.01...10_080)
        },
        .init(
            "liftHealthHolds",
            "WABULK_LIFT_HEALTH_HOLDS",
            default: #"`true`"#,
            #"Meta's word on the account holds sending within a second: a `phone_number_quality_update` FLAGGED (or a RED rating) holds marketing sends (utility and authentication go on), an `account_update` ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION, ACCOUNT_DELETED or DISABLED_UPDATE holds everything, each with Meta's reason in `wabulk status`. On, Meta's next good word (UNFLAGGED, a DISABLED_UPDATE whose ban state is REINSTATE) lifts the hold it set; off, only `wabulk resume` does"#
        ) { text, s, src throws(SettingsError) in
            s.liftHealthHolds = try bool(text, key: "liftHealthHolds", source: src)
        },
        .init(
            "statusSeconds",
            "WABULK_STATUS_SECONDS",
            default: #"`30`"#,
            #"how often the daemon rewrites `outbox/status.json` and `outbox/status.html` (the page for staff: campaigns, funnel, sends per hour, queue, failures, account; it reloads itself every 30 s)"#
        ) { text, s, src throws(SettingsError) in
            s.statusSeconds = try double(text, key: "statusSeconds", source: src, range: 1...3600)
        },
        .init(
            "campaignScanSeconds",
            "WABULK_CAMPAIGN_SCAN_SECONDS",
            default: #"`30`"#,
            #"how often the daemon looks for recurring campaigns' occurrences that are due, contacts who entered a welcome (`"trigger": "contact-added"`) campaign's audience, and A/B tests whose `winnerAfter` has come (0.1–3600). A welcome campaign's look reads its whole audience from the registry: on a registry of millions, keep this at a minute or more"#
        ) { text, s, src throws(SettingsError) in
            s.campaignScanSeconds = try double(text, key: "campaignScanSeconds", source: src, range: 0.1...3600)
        },
        .init(
            "rawWebhookRetentionDays",
            "WABULK_RAW_WEBHOOK_RETENTION_DAYS",
            default: #"`30`"#,
            #"webhook bodies as received (names, reply texts) stay in the event log this many days for audits, then the daemon blanks them in place (checked at start and every 6 hours); their events, offsets and every other line stay"#
        ) { text, s, src throws(SettingsError) in
            s.rawWebhookRetentionDays = try int(text, key: "rawWebhookRetentionDays", source: src, range: 0...3650)
        },
        .init(
            "compressLogsAfterDays",
            "WABULK_COMPRESS_LOGS_AFTER_DAYS",
            default: #"`7`"#,
            #"day files of the event log older than this many days are compressed with zstd (`events-YYYY-MM-DD.jsonl.zst`, frames of whole lines, read at the same offsets; `zstdcat` reads them too) by the daemon at start and every 6 hours, or by `wabulk compact`; reports, `wabulk logs` and the status read them as before (0: never; less than 7, Meta's webhook redelivery horizon, counts as 7). The newest day file is never compressed"#
        ) { text, s, src throws(SettingsError) in
            s.compressLogsAfterDays = try int(text, key: "compressLogsAfterDays", source: src, range: 0...3650)
        },
        .init(
            "inboxDir",
            "WABULK_INBOX_DIR",
            default: #"`""` (`inbox/` in the home)"#,
            #"the folder staff drop files into: absolute, or relative to the home; never the home itself, inside `var/` or with `..`, and on the same file system as `var/` (files move by rename); the daemon refuses to start otherwise"#
        ) { text, s, src throws(SettingsError) in
            s.inboxDir = try sharedFolder(text, key: "inboxDir", source: src)
        },
        .init(
            "outboxDir",
            "WABULK_OUTBOX_DIR",
            default: #"`""` (`outbox/` in the home)"#,
            #"where receipts, archives, reports and share links go; same rules as `inboxDir`"#
        ) { text, s, src throws(SettingsError) in
            s.outboxDir = try sharedFolder(text, key: "outboxDir", source: src)
        },
        .init(
            "listenerHeaderSeconds",
            "WABULK_LISTENER_HEADER_SECONDS",
            default: #"`10`"#,
            #"a webhook request's headers must arrive within this of the connection opening (or of the previous answer), or the connection is closed: a client sending a byte every few seconds cannot hold it"#
        ) { text, s, src throws(SettingsError) in
            s.listenerHeaderSeconds = try double(text, key: "listenerHeaderSeconds", source: src, range: 0.1...300)
        },
        .init(
            "listenerBodySeconds",
            "WABULK_LISTENER_BODY_SECONDS",
            default: #"`30`"#,
            #"a webhook request's body must end within this of its headers"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.listenerBodySeconds = try double(text, key: "listenerBodySeconds", source: src, range: 0.1...600)
        },
        .init(
            "listenerMaxConnections",
            "WABULK_LISTENER_MAX_CONNECTIONS",
            default: #"`256`"#,
            #"connections the listener holds at once; further ones wait in the kernel's queue until one closes"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.listenerMaxConnections = try int(text, key: "listenerMaxConnections", source: src, range: 1...65536)
        },
        .init(
            "insecureWebhooks",
            "WABULK_INSECURE_WEBHOOKS",
            default: #"`false`"#,
            #"accept unsigned webhooks when no app secret is set (testing only)"#
        ) {
            text,
            s,
            src throws(SettingsError) in
            s.insecureWebhooks = try bool(text, key: "insecureWebhooks", source: src)
        },
        .init(
            "reconcileSeconds",
            "WABULK_RECONCILE_SECONDS",
            default: #"`120`"#,
            #"how long a message that may have reached Meta without an answer (in flight at a crash, or its answer timed out) waits for Meta's webhooks before it is sent again (docs/RELIABILITY.md)"#
        ) { text, s, src throws(SettingsError) in
            s.reconcileSeconds = try double(text, key: "reconcileSeconds", source: src, range: 0...86400)
        },
        .init(
            "afterReconcile",
            "WABULK_AFTER_RECONCILE",
            default: #"`resend`"#,
            #"then: `resend` it, or `hold` it (recorded as failed with "outcome unknown", for the operator)"#
        ) {
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
        default defaultText: String,
        _ documentation: String,
        apply: @escaping @Sendable (String, inout Settings, String) throws(SettingsError) -> Void
    ) {
        self.fileKey = fileKey
        self.environmentName = env
        self.defaultText = defaultText
        self.documentation = documentation
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
