import Foundation

/// Meta credentials, read only from the environment (product.md, "Configuration").
public struct Credentials: Sendable {
    public static let names = [
        "WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_BUSINESS_ACCOUNT_ID",
        "WHATSAPP_APP_SECRET", "WEBHOOK_VERIFY_TOKEN", "SMTP_USERNAME", "SMTP_PASSWORD",
    ]

    public var token: Secret?
    public var phoneNumberID: String?
    public var businessAccountID: String?
    public var appSecret: Secret?
    public var verifyToken: Secret?
    /// The mail server login for report emails.
    public var smtpUsername: String?
    public var smtpPassword: Secret?

    public init(
        token: Secret? = nil,
        phoneNumberID: String? = nil,
        businessAccountID: String? = nil,
        appSecret: Secret? = nil,
        verifyToken: Secret? = nil,
        smtpUsername: String? = nil,
        smtpPassword: Secret? = nil
    ) {
        self.token = token
        self.phoneNumberID = phoneNumberID
        self.businessAccountID = businessAccountID
        self.appSecret = appSecret
        self.verifyToken = verifyToken
        self.smtpUsername = smtpUsername
        self.smtpPassword = smtpPassword
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Credentials {
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        return Credentials(
            token: value("WHATSAPP_TOKEN").map(Secret.init),
            phoneNumberID: value("WHATSAPP_PHONE_NUMBER_ID"),
            businessAccountID: value("WHATSAPP_BUSINESS_ACCOUNT_ID"),
            appSecret: value("WHATSAPP_APP_SECRET").map(Secret.init),
            verifyToken: value("WEBHOOK_VERIFY_TOKEN").map(Secret.init),
            smtpUsername: value("SMTP_USERNAME"),
            smtpPassword: value("SMTP_PASSWORD").map(Secret.init)
        )
    }

    /// What sending needs; the first missing one is named.
    public func requireForSending() throws(SettingsError) -> (token: Secret, phoneNumberID: String) {
        guard let token else { throw .missingSecret(name: "WHATSAPP_TOKEN") }
        guard let phoneNumberID else { throw .missingSecret(name: "WHATSAPP_PHONE_NUMBER_ID") }
        return (token, phoneNumberID)
    }
}
