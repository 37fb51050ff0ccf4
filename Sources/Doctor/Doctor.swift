import CloudAPI
import Curl
import Foundation
import Templates
import WabulkBase

/// `wabulk doctor`: checks, before the first campaign, what otherwise shows up only as failures — the token,
/// the phone number and its business account, the app's webhook subscription and callback, the template
/// list, the mail server, the home's permissions. Each check reads; none sends a message or a mail.
public struct Doctor: Sendable {
    let home: HomeLayout
    let settings: Settings
    let credentials: Credentials
    let client: CloudAPIClient?
    let http: any HTTPTransport
    let now: @Sendable () -> Date

    /// `client`: nil when the credentials to build one are missing (the token check says so).
    public init(
        home: HomeLayout,
        settings: Settings,
        credentials: Credentials,
        client: CloudAPIClient?,
        http: any HTTPTransport = CurlPool(),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.home = home
        self.settings = settings
        self.credentials = credentials
        self.client = client
        self.http = http
        self.now = now
    }

    public func run() async -> [DoctorCheck] {
        var checks = [homeCheck()]
        checks += await accountChecks()
        checks.append(await callbackCheck())
        checks += await webhookFieldChecks()
        checks.append(templatesCheck())
        checks.append(await smtpCheck())
        return checks
    }

    // MARK: the home

    func homeCheck() -> DoctorCheck {
        do {
            try home.checkPrivate()
            return DoctorCheck("home", .pass, "\(home.root.path): only its owner can write the home, wabulk.json and var/")
        } catch {
            return DoctorCheck("home", .fail, "\(error)", fix: "chmod go-w the home, wabulk.json and var/ (and keep var/ 0700)")
        }
    }

    // MARK: Meta

    func accountChecks() async -> [DoctorCheck] {
        guard let client else {
            return [
                DoctorCheck(
                    "token",
                    .fail,
                    "WHATSAPP_TOKEN or WHATSAPP_PHONE_NUMBER_ID is not set",
                    fix: "set both in the daemon's environment (a system user's permanent token)"
                )
            ]
        }
        var checks: [DoctorCheck] = []
        let phoneID = client.phoneNumberID
        switch await client.phoneNumberInfo() {
        case .info(let info):
            checks.append(DoctorCheck("token", .pass, "Meta accepted it (the phone number's fields were read)"))
            checks.append(phoneCheck(info, id: phoneID))
        case .rejected(let error) where error.code == 190:
            return [
                DoctorCheck(
                    "token",
                    .fail,
                    "Meta refused it: \(error.description)",
                    fix: "make a new system-user token with whatsapp_business_messaging and whatsapp_business_management, set WHATSAPP_TOKEN"
                )
            ]
        case .rejected(let error):
            checks.append(DoctorCheck("token", .pass, "Meta answered with its error shape, so the token was read"))
            checks.append(
                DoctorCheck(
                    "phone number",
                    .fail,
                    "\(phoneID) could not be read: \(error.description)",
                    fix: "copy the phone number id from WhatsApp Manager (API setup) into WHATSAPP_PHONE_NUMBER_ID"
                )
            )
        case .failed(let reason):
            return [DoctorCheck("token", .fail, "Meta could not be reached at \(client.baseURL): \(reason)", fix: "check the network, or apiBaseURL")]
        }
        guard let waba = credentials.businessAccountID else {
            checks.append(
                DoctorCheck(
                    "business account",
                    .fail,
                    "WHATSAPP_BUSINESS_ACCOUNT_ID is not set",
                    fix: "set it (WhatsApp Manager, account settings): templates cannot be synced without it"
                )
            )
            return checks
        }
        checks.append(await ownershipCheck(client, waba: waba, phoneID: phoneID))
        checks.append(await subscriptionCheck(client, waba: waba))
        return checks
    }

    func phoneCheck(_ info: PhoneNumberInfo, id: String) -> DoctorCheck {
        let limit =
            switch info.messagingLimit {
            case .people(let n)?: "\(n) people a day"
            case .unlimited?: "unlimited"
            case nil: "not set"
            }
        let found =
            "\(info.displayPhoneNumber ?? id) (\(info.verifiedName ?? "no name")): name \(info.nameStatus ?? "unknown"), quality \(info.quality ?? "unknown"), throughput \(info.throughput ?? "unknown"), messaging limit \(limit)"
        if info.quality?.uppercased() == "RED" {
            return DoctorCheck(
                "phone number",
                .fail,
                found,
                fix: "quality is RED: marketing sends are likely to be limited; look at WhatsApp Manager's insights before a campaign"
            )
        }
        if let status = info.nameStatus?.uppercased(), ["DECLINED", "EXPIRED"].contains(status) {
            return DoctorCheck("phone number", .fail, found, fix: "the display name is \(status): submit it again in WhatsApp Manager")
        }
        return DoctorCheck("phone number", .pass, found)
    }

    func ownershipCheck(_ client: CloudAPIClient, waba: String, phoneID: String) async -> DoctorCheck {
        switch await client.graphGET("\(waba)/phone_numbers?fields=id,display_phone_number") {
        case .json(let json):
            let numbers = (json["data"]?.items ?? []).compactMap { $0["id"]?.string }
            if numbers.contains(phoneID) { return DoctorCheck("business account", .pass, "\(waba) has phone number \(phoneID)") }
            return DoctorCheck(
                "business account",
                .fail,
                "phone number \(phoneID) is not one of business account \(waba)'s numbers (\(numbers.isEmpty ? "it has none" : numbers.joined(separator: ", ")))",
                fix: "set WHATSAPP_PHONE_NUMBER_ID to one of its numbers, or WHATSAPP_BUSINESS_ACCOUNT_ID to the number's account"
            )
        case .rejected(let error):
            return DoctorCheck(
                "business account",
                .fail,
                "\(waba) could not be read: \(error.description)",
                fix: "check WHATSAPP_BUSINESS_ACCOUNT_ID and that the token has whatsapp_business_management"
            )
        case .failed(let reason):
            return DoctorCheck("business account", .fail, "\(waba) could not be read: \(reason)", fix: "check the network")
        }
    }

    func subscriptionCheck(_ client: CloudAPIClient, waba: String) async -> DoctorCheck {
        switch await client.graphGET("\(waba)/subscribed_apps") {
        case .json(let json):
            let apps = (json["data"]?.items ?? []).compactMap { $0["whatsapp_business_api_data"]?["name"]?.string ?? $0["name"]?.string ?? "an app" }
            if !apps.isEmpty {
                return DoctorCheck("webhooks", .pass, "business account \(waba) sends its webhooks to \(apps.joined(separator: ", "))")
            }
            return DoctorCheck(
                "webhooks",
                .fail,
                "no app is subscribed to business account \(waba): Meta will send no statuses, replies or opt-outs",
                fix: "POST /\(client.version)/\(waba)/subscribed_apps with the token (or subscribe in the app dashboard)"
            )
        case .rejected(let error):
            return DoctorCheck("webhooks", .fail, "the subscriptions could not be read: \(error.description)", fix: "check the token's permissions")
        case .failed(let reason):
            return DoctorCheck("webhooks", .fail, "the subscriptions could not be read: \(reason)", fix: "check the network")
        }
    }

    /// Meta's verify handshake, asked of the public URL as Meta would ask it.
    func callbackCheck() async -> DoctorCheck {
        let url = settings.publicWebhookURL
        guard !url.isEmpty else {
            return DoctorCheck("callback", .skipped, "publicWebhookURL is not set: the handshake from outside was not tried")
        }
        guard let token = credentials.verifyToken else {
            return DoctorCheck("callback", .fail, "WEBHOOK_VERIFY_TOKEN is not set", fix: "set it to the verify token saved in the app dashboard")
        }
        let challenge = String(UInt64.random(in: 1_000_000_000...UInt64.max))
        var parts = URLComponents(string: url)
        let given = parts?.queryItems ?? []
        parts?.queryItems =
            given + [
                .init(name: "hub.mode", value: "subscribe"), .init(name: "hub.verify_token", value: token.reveal()),
                .init(name: "hub.challenge", value: challenge),
            ]
        guard let target = parts?.string else { return DoctorCheck("callback", .fail, "\(url) is not a URL", fix: "fix publicWebhookURL") }
        do {
            let answer = try await http.perform(HTTPRequest(method: "GET", url: target, timeout: 10))
            if answer.status == 200, String(decoding: answer.body, as: UTF8.self) == challenge {
                return DoctorCheck("callback", .pass, "\(url) answers Meta's verify handshake")
            }
            return DoctorCheck(
                "callback",
                .fail,
                "\(url) answered \(answer.status) without the challenge",
                fix: answer.status == 403
                    ? "the verify token differs from WEBHOOK_VERIFY_TOKEN" : "check that the URL reaches the daemon's listener (webhookPath)"
            )
        } catch {
            return DoctorCheck(
                "callback",
                .fail,
                "\(url) could not be reached: \(error.message)",
                fix: "check the proxy or tunnel in front of the listener"
            )
        }
    }

    // MARK: local state

    func templatesCheck() -> DoctorCheck {
        guard let cache = try? TemplateCache.load(home.templatesFile) else {
            return DoctorCheck("templates", .fail, "var/templates.json is missing or unreadable", fix: "run `wabulk templates sync`")
        }
        let approved = cache.data.filter { $0.status == "APPROVED" }.count
        guard let fetched = cache.fetchedAt.flatMap(Timestamp.parse) else {
            return DoctorCheck("templates", .fail, "var/templates.json has no sync time", fix: "run `wabulk templates sync`")
        }
        let age = now().timeIntervalSince(fetched)
        // The daemon refreshes it hourly; a day old means it has not for a long while.
        let stale = max(2 * settings.templateRefreshSeconds, 86_400)
        let found = "\(cache.data.count) templates (\(approved) approved), synced \(Self.ago(age))"
        if age > stale { return DoctorCheck("templates", .fail, found, fix: "run `wabulk templates sync` (is the daemon running?)") }
        return DoctorCheck("templates", .pass, found)
    }

    func smtpCheck() async -> DoctorCheck {
        let url = settings.smtpURL
        guard !url.isEmpty else { return DoctorCheck("smtp", .skipped, "smtpURL is not set: reports are written to outbox/ only") }
        let requireTLS = settings.smtpRequireTLS || url.hasPrefix("smtps://")
        let username = credentials.smtpUsername
        let password = credentials.smtpPassword?.reveal()
        let result: Result<Void, TransportError> = await withCheckedContinuation { done in
            // A serial queue: blocking curl on the concurrent queues would hold a thread Swift's tasks share.
            DispatchQueue(label: "wabulk.doctor.smtp").async {
                do throws(TransportError) {
                    try CurlConnection().checkSMTP(url: url, requireTLS: requireTLS, username: username, password: password)
                    done.resume(returning: .success(()))
                } catch {
                    done.resume(returning: .failure(error))
                }
            }
        }
        switch result {
        case .success: return DoctorCheck("smtp", .pass, "\(url) greeted and answered (no mail sent)")
        case .failure(let error):
            return DoctorCheck("smtp", .fail, "\(url): \(error.message)", fix: "check smtpURL, smtpRequireTLS and SMTP_USERNAME/SMTP_PASSWORD")
        }
    }

    static func ago(_ seconds: TimeInterval) -> String {
        switch seconds {
        case ..<120: "just now"
        case ..<7200: "\(Int(seconds / 60)) minutes ago"
        case ..<172_800: "\(Int(seconds / 3600)) hours ago"
        default: "\(Int(seconds / 86_400)) days ago"
        }
    }
}
