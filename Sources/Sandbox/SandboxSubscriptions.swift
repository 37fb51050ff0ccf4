import Foundation
import WabulkBase
import WebhookListener

/// The app's webhook subscription as Meta keeps it: which fields of the business account it is posted,
/// and to which callback URL. The sandbox posts only subscribed fields (Meta drops the rest) and serves
/// `GET/POST/DELETE /{app-id}/subscriptions` to the app's own token, `{app-id}|{app-secret}`.
actor SandboxSubscriptions {
    let appID: String
    private let appSecret: Secret
    let callbackURL: String?
    private(set) var fields: Set<WebhookField>

    init(appID: String, appSecret: Secret, callbackURL: String?, fields: Set<WebhookField>) {
        self.appID = appID
        self.appSecret = appSecret
        self.callbackURL = callbackURL
        self.fields = fields
    }

    func allows(_ field: WebhookField) -> Bool { fields.contains(field) }

    nonisolated func acceptsToken(_ token: String) -> Bool {
        WebhookSignature.tokenMatches(token, Secret("\(appID)|\(appSecret.reveal())"))
    }

    func subscribe(_ names: [String]) -> [String] { change(names) { fields.insert($0) } }
    func unsubscribe(_ names: [String]) -> [String] { change(names) { fields.remove($0) } }

    /// Applies `body` to each known field; returns the names it did not know.
    private func change(_ names: [String], _ body: (WebhookField) -> Void) -> [String] {
        var unknown: [String] = []
        for name in names {
            if let field = WebhookField(rawValue: name) { body(field) } else { unknown.append(name) }
        }
        return unknown
    }

    /// Meta's answer to `GET /{app-id}/subscriptions`.
    func listing(version: String) -> Data {
        let json: [String: Any] = [
            "data": [
                [
                    "object": "whatsapp_business_account",
                    "callback_url": callbackURL ?? "",
                    "active": !fields.isEmpty,
                    "fields": WebhookField.allCases.filter(fields.contains).map { ["name": $0.rawValue, "version": version] },
                ] as [String: Any]
            ]
        ]
        return (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
