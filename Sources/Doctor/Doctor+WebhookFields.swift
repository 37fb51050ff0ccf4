import Curl
import Foundation
import WabulkBase

extension Doctor {
    /// The app's webhook subscription, read with the app's own token (`{app-id}|{app-secret}`): the callback
    /// URL Meta posts to, then each field wabulk acts on, subscribed or missing. Meta posts only subscribed
    /// fields: a missing `user_preferences` loses marketing opt-outs without anyone noticing.
    func webhookFieldChecks() async -> [DoctorCheck] {
        let appID = settings.appID
        guard !appID.isEmpty else {
            return [
                DoctorCheck(
                    "webhook fields",
                    .skipped,
                    "appID (WHATSAPP_APP_ID) is not set: which webhook fields the app subscribes to was not read"
                )
            ]
        }
        guard let secret = credentials.appSecret else {
            return [
                DoctorCheck(
                    "webhook fields",
                    .fail,
                    "WHATSAPP_APP_SECRET is not set: the app's token cannot be made",
                    fix: "set it to the app secret (App Dashboard → App settings → Basic)"
                )
            ]
        }
        let url = "\(settings.apiBaseURL)/\(settings.apiVersion)/\(appID)/subscriptions"
        let answer: HTTPResponse
        do {
            // The token is a secret: it goes in the header only, never into what is printed.
            answer = try await http.perform(
                HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(appID)|\(secret.reveal())")], timeout: 15)
            )
        } catch {
            return [DoctorCheck("webhook fields", .fail, "the app's subscriptions could not be read: \(error.message)", fix: "check the network")]
        }
        let json = JSONValue.parse(answer.body)
        guard answer.status == 200, let json else {
            let error = json?["error"]
            let code = error?["code"]?.integer
            let message = error?["message"]?.string ?? "HTTP \(answer.status)"
            if code == 190 || code == 102 || answer.status == 401 {
                return [
                    DoctorCheck(
                        "webhook fields",
                        .fail,
                        "Meta refused the app token for app \(appID) (\(code.map { "#\($0) " } ?? "")\(message))",
                        fix: "check WHATSAPP_APP_ID and WHATSAPP_APP_SECRET against App Dashboard → App settings → Basic"
                    )
                ]
            }
            return [
                DoctorCheck(
                    "webhook fields",
                    .fail,
                    "app \(appID)'s subscriptions could not be read: \(code.map { "#\($0) " } ?? "")\(message)",
                    fix: "check WHATSAPP_APP_ID"
                )
            ]
        }
        let subscription = (json["data"]?.items ?? []).first { $0["object"]?.string == "whatsapp_business_account" }
        let subscribed = Set((subscription?["fields"]?.items ?? []).compactMap { $0["name"]?.string ?? $0.string })
        let callback = subscription?["callback_url"]?.string ?? ""
        var checks: [DoctorCheck] = []
        if subscription == nil || callback.isEmpty {
            checks.append(
                DoctorCheck(
                    "webhook callback",
                    .fail,
                    "app \(appID) has no webhook for WhatsApp Business Accounts: Meta posts nothing",
                    fix: "App Dashboard → WhatsApp → Configuration: set the callback URL and verify token, then subscribe the fields below"
                )
            )
        } else if !settings.publicWebhookURL.isEmpty, callback != settings.publicWebhookURL {
            checks.append(
                DoctorCheck(
                    "webhook callback",
                    .fail,
                    "Meta posts to \(callback), but publicWebhookURL is \(settings.publicWebhookURL)",
                    fix: "make the two the same (App Dashboard → WhatsApp → Configuration, or publicWebhookURL)"
                )
            )
        } else {
            checks.append(DoctorCheck("webhook callback", .pass, "Meta posts app \(appID)'s WhatsApp webhooks to \(callback)"))
        }
        for field in WebhookField.allCases {
            if subscribed.contains(field.rawValue) {
                checks.append(DoctorCheck("webhook field \(field.rawValue)", .pass, "subscribed"))
            } else {
                checks.append(
                    DoctorCheck(
                        "webhook field \(field.rawValue)",
                        .fail,
                        "missing: Meta will not post \(field.why)",
                        fix: "App Dashboard → WhatsApp → Configuration → Webhook fields: subscribe to \(field.rawValue)"
                    )
                )
            }
        }
        return checks
    }
}
