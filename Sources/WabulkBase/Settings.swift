import Foundation

/// Every setting of an installation: `wabulk.json` in the home folder, each key overridable from the
/// environment. Secrets are not here: they come only from the environment (see `Credentials`).
/// docs/CONFIGURATION.md lists every key; `SettingKey.all` is the single source of that list.
public struct Settings: Sendable, Equatable {
    public var apiBaseURL: String = "https://graph.facebook.com"
    public var apiVersion: String = "v23.0"
    public var listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8080)
    public var webhookPath: String = "/api/whatsapp/webhook"
    public var rate: SendRate = SendRate(count: 30, window: .seconds(60))
    public var maxAttempts: Int = 3
    public var backoffBaseSeconds: Double = 5
    public var sendConcurrency: Int = 4
    public var requestTimeoutSeconds: Double = 15
    public var defaultCountry: String = "91"
    public var inboxScanSeconds: Double = 2
    public var inboxSettleSeconds: Double = 2
    /// Contacts a campaign's planning reads, renders, logs and spools in one go.
    public var planBatchSize: Int = 5_000
    public var timezone: String = "UTC"
    public var insecureWebhooks: Bool = false
    /// Read letters in a phone cell as keypad digits (vanity numbers) instead of rejecting the row.
    public var allowVanityNumbers: Bool = false
    /// An inbound text or button equal to one of these (any case, surrounding spaces ignored) opts the sender
    /// out. Meta's marketing opt-out button arrives as its localised label, hence "Stop promotions" and kin.
    public var optOutKeywords: [String] = ["STOP", "UNSUBSCRIBE", "STOP PROMOTIONS", "PARAR PROMOÇÕES", "PARAR PROMOCIONES", "बंद करें"]
    /// After a crash, how long a message that may have left waits for Meta's webhooks before it is settled.
    public var reconcileSeconds: Double = 120
    /// What happens to such a message when no webhook came: "resend" or "hold" (marked unknown, not sent).
    public var afterReconcile: String = "resend"
    /// Scheduled reports: daily at this local time ("08:00"; empty: off) and/or every N hours (0: off).
    public var reportDailyAt: String = ""
    public var reportEveryHours: Int = 0
    /// Who gets scheduled reports by email (empty: nobody), from which address, through which server.
    public var reportRecipients: [String] = []
    public var reportFrom: String = "wabulk@localhost"
    public var smtpURL: String = ""
    public var smtpRequireTLS: Bool = true
    /// Cost per billable message by pricing category (and calling code), for the report's Cost sheet.
    public var rateCard = RateCard()
    /// Data rows a contacts file may have; a longer one is refused whole with the reason.
    public var maxRowsPerFile: Int = 2_000_000
    /// Meta's messaging limit when the operator knows it; nil: as Meta reports it.
    public var messagingLimit: MessagingLimit?
    /// The callback URL saved in Meta's app dashboard, for `wabulk doctor`'s handshake check ("": not checked).
    public var publicWebhookURL: String = ""
    /// The Meta app's id, for `wabulk doctor`'s check of the app's webhook fields ("": not checked).
    public var appID: String = ""
    /// Messages sent this long ago with no status webhook since make the status warn that webhooks stopped.
    public var webhookSilenceMinutes: Double = 60
    /// How often outbox/status.json and status.html are rewritten (the seed's dashboard refreshed every 30 s).
    public var statusSeconds: Double = 30
    /// How often recurring, welcome (trigger) and sampled A/B campaigns are looked at.
    public var campaignScanSeconds: Double = 30
    /// Whether Meta's good news lifts the hold its bad news set (else only `wabulk resume` does).
    public var liftHealthHolds: Bool = true
    /// Days webhook bodies as received stay in the event log before they are blanked (their events stay).
    public var rawWebhookRetentionDays: Int = 30
    /// Day files older than this many days are compressed (0: never; below Meta's 7-day redelivery horizon
    /// counts as 7).
    public var compressLogsAfterDays: Int = 7
    /// The folders shared with staff, when not `inbox/` and `outbox/` inside the home.
    public var inboxDir: String = ""
    public var outboxDir: String = ""
    /// How often the daemon refreshes the template cache from Meta (0: never).
    public var templateRefreshSeconds: Double = 3600
    /// A webhook request's headers must arrive within this of its connection opening (or of the last answer).
    public var listenerHeaderSeconds: Double = 10
    /// A webhook request's body must end within this of its headers.
    public var listenerBodySeconds: Double = 30
    /// Connections the listener holds at once; more wait in the kernel's queue until one closes.
    public var listenerMaxConnections: Int = 256

    public init() {}

    /// Reads `file` (missing is fine: defaults apply) and then the environment over it.
    public static func load(file: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws(SettingsError) -> Settings {
        var settings = Settings()
        var values = try fileValues(file)
        for key in SettingKey.all {
            if let env = environment[key.environmentName] { values[key.fileKey] = env }
        }
        for key in SettingKey.all {
            guard let text = values[key.fileKey] else { continue }
            let source = environment[key.environmentName] != nil ? "environment \(key.environmentName)" : file.lastPathComponent
            try key.apply(text, &settings, source)
        }
        return settings
    }

    /// The settings `file` sets, as text (a missing file sets none); refuses secrets and unknown keys.
    static func fileValues(_ file: URL) throws(SettingsError) -> [String: String] {
        var values: [String: String] = [:]
        if FileManager.default.fileExists(atPath: file.path) {
            let data: Data
            do { data = try Data(contentsOf: file) } catch {
                throw .unreadableFile(path: file.path, reason: "\(error.localizedDescription)")
            }
            let object: [String: FileValue]
            do { object = try JSONDecoder().decode([String: FileValue].self, from: data) } catch {
                throw .unreadableFile(path: file.path, reason: "not a JSON object of settings (\(error))")
            }
            for (key, value) in object {
                if Credentials.names.contains(key) || key.lowercased().contains("token") || key.lowercased().contains("secret") {
                    throw .secretInFile(key: key, path: file.path)
                }
                guard SettingKey.all.contains(where: { $0.fileKey == key }) else {
                    throw .unknownKey(key: key, path: file.path)
                }
                values[key] = value.text
            }
        }
        return values
    }
}

/// A scalar in wabulk.json; settings are parsed from their text so file and environment share one parser.
private enum FileValue: Decodable {
    case text(String)

    var text: String {
        switch self {
        case .text(let t): t
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .text(b ? "true" : "false")
        } else if let i = try? c.decode(Int.self) {
            self = .text(String(i))
        } else if let d = try? c.decode(Double.self) {
            self = .text(String(d))
        }
        // A list (optOutKeywords) is written as JSON array in the file and comma-separated in the environment.
        else if let list = try? c.decode([String].self) {
            self = .text(list.joined(separator: ","))
        } else {
            self = .text(try c.decode(String.self))
        }
    }
}
