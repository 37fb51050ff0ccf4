import EventLog
import Foundation
import Testing
import WabulkBase

@testable import Campaigns

/// Issue 25: every webhook field wabulk acts on is documented, checked by `wabulk doctor` against the app's
/// subscription, and its silence noticed by the status.
@Suite struct WebhookFieldsTests {
    typealias Rig = SuppressionFlowTests.Rig
    static let appID = "1234567890"
    static func allBut(_ field: WebhookField) -> String { WebhookField.allCases.filter { $0 != field }.map(\.rawValue).joined(separator: ",") }

    static func repositoryFile(_ path: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// A field the listener handles is one of `WebhookField`'s cases (its switch is over them): each must be
    /// in the README's production section and CONFIGURATION.md's list, so a field handled later is documented.
    @Test func everyHandledFieldIsDocumented() throws {
        let readme = try Self.repositoryFile("README.md")
        let start = try #require(readme.range(of: "Subscribe the app to every webhook field"))
        let section = String(readme[start.lowerBound...].prefix(3000))
        let configuration = try Self.repositoryFile("docs/CONFIGURATION.md")
        for field in WebhookField.allCases {
            #expect(section.contains("| `\(field.rawValue)` |"), "README: \(field.rawValue)")
            #expect(configuration.contains("| `\(field.rawValue)` |"), "CONFIGURATION.md: \(field.rawValue)")
        }
    }

    @Test func doctorNamesAMissingFieldAndARefusedAppToken() async throws {
        let rig = try Rig(
            sandboxArguments: ["--subscribed-fields", Self.allBut(.userPreferences)],
            settings: DoctorTests.account.merging(["WHATSAPP_APP_ID": Self.appID]) { _, b in b }
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        #expect(try await rig.wabulk(["templates", "sync"]).status == 0)
        let missing = try await DoctorTests.doctor(rig)
        #expect(missing.status == 1)
        #expect(
            missing.lines.filter { $0.hasPrefix("✗") } == [
                "✗ webhook field user_preferences: missing: Meta will not post \(WebhookField.userPreferences.why) — App Dashboard → WhatsApp → Configuration → Webhook fields: subscribe to user_preferences"
            ],
            "\(missing.lines)"
        )
        let callback = "http://127.0.0.1:\(rig.listenPort)/api/whatsapp/webhook"
        #expect(missing.lines.contains("✓ webhook callback: Meta posts app \(Self.appID)'s WhatsApp webhooks to \(callback)"))
        for field in WebhookField.allCases where field != .userPreferences {
            #expect(missing.checks["webhook field \(field.rawValue)"]?["outcome"] == "pass")
        }

        // An app secret that is not the app's: Meta refuses the app token, and the secret is not printed.
        let refused = try await DoctorTests.doctor(rig, ["WHATSAPP_APP_SECRET": "not-the-app-secret"])
        #expect(refused.status == 1)
        #expect(refused.checks["webhook fields"]?["outcome"] == "fail")
        #expect(refused.checks["webhook fields"]?["found"]?.hasPrefix("Meta refused the app token for app \(Self.appID) (#190 ") == true)
        #expect(!refused.lines.joined().contains("not-the-app-secret") && !missing.lines.joined().contains(SuppressionFlowTests.secret))

        // Subscribed again (Meta's POST /{app-id}/subscriptions with the app token): every check passes.
        let token = "\(Self.appID)|\(SuppressionFlowTests.secret)"
        let post = try await runProcess(
            "/usr/bin/curl",
            [
                "-s", "-X", "POST", "-H", "Authorization: Bearer \(token)",
                "http://127.0.0.1:\(rig.sandboxPort)/v23.0/\(Self.appID)/subscriptions?object=whatsapp_business_account&fields=user_preferences",
            ]
        )
        #expect(post.stdout == #"{"success":true}"#)
        let whole = try await DoctorTests.doctor(rig)
        #expect(whole.status == 0, "\(whole.lines)")
        #expect(WebhookField.allCases.allSatisfy { whole.lines.contains("✓ webhook field \($0.rawValue): subscribed") })
    }

    /// A day after sending began, fields never seen are named (a hint: the app may not subscribe to them); one
    /// that arrived is not; before a day, none is.
    @Test func fieldsNeverSeenADayAfterSendingBeganAreNamed() throws {
        let dir = TempDir()
        let home = dir.home
        try home.create()
        var tally = StatusTally()
        let began = Timestamp.parse("2026-12-01T09:00:00.000Z")!
        tally.add(MessageEvent(time: began, status: .sent, campaign: "c", job: "c.1", phone: "+919800000001", wamid: "w1", source: "dispatch"))
        tally.add(MessageEvent(time: began.addingTimeInterval(2), status: .sent, job: "c.1", wamid: "w1", source: "webhook"))
        let settings = Settings()
        let early = StatusSnapshot.webhooks(home: home, settings: settings, tally: tally, now: began.addingTimeInterval(23 * 3600))
        #expect(early.warnings.isEmpty)
        let later = StatusSnapshot.webhooks(home: home, settings: settings, tally: tally, now: began.addingTimeInterval(25 * 3600))
        #expect(later.warnings.count == 2)
        #expect(later.warnings[0].hasPrefix("no `user_preferences` webhook has arrived since sending began (2026-12-01T09:00:00.000Z)"))
        #expect(later.warnings[1].hasPrefix("no `message_template_status_update` webhook has arrived"))
        var arrivals = WebhookArrivals()
        arrivals.fields["user_preferences"] = "2026-12-01T10:00:00.000Z"
        try arrivals.save(WebhookArrivals.file(in: home))
        let one = StatusSnapshot.webhooks(home: home, settings: settings, tally: tally, now: began.addingTimeInterval(25 * 3600))
        #expect(one.warnings.count == 1 && one.warnings[0].contains("message_template_status_update"))
        #expect(one.lastStatusAt == "2026-12-01T09:00:02.000Z" && one.unansweredSends == 0)
    }

    /// The sandbox stops posting statuses (the app's `messages` subscription removed): after
    /// `webhookSilenceMinutes` the status warns with the time of the last status webhook, in `wabulk status`
    /// and the daemon's status.json; subscribed again, the next statuses clear it.
    @Test func silentStatusWebhooksAreNoticedAndClearWhenTheyResume() async throws {
        let rig = try Rig(
            sandboxArguments: [],
            settings: ["WABULK_RATE": "1200/min", "WABULK_WEBHOOK_SILENCE_MINUTES": "0.05", "WABULK_STATUS_SECONDS": "1"]
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()
        defer { rig.daemon.stop() }
        let token = "\(Self.appID)|\(SuppressionFlowTests.secret)"
        func subscription(_ method: String) async throws {
            let r = try await runProcess(
                "/usr/bin/curl",
                [
                    "-s", "-X", method, "-H", "Authorization: Bearer \(token)",
                    "http://127.0.0.1:\(rig.sandboxPort)/v23.0/\(Self.appID)/subscriptions?fields=messages",
                ]
            )
            #expect(r.stdout == #"{"success":true}"#)
        }
        func webhooks() async throws -> [String: Any] {
            let r = try await rig.wabulk(["status", "--json"])
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return json?["webhooks"] as? [String: Any] ?? [:]
        }
        func statusFile() -> [String: Any] {
            let data = try? Data(contentsOf: rig.home.appendingPathComponent("outbox/status.json"))
            return (data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })?["webhooks"] as? [String: Any] ?? [:]
        }
        func campaign(_ id: String, _ people: ClosedRange<Int>) async throws {
            try rig.drop(
                "\(id).csv",
                "Name,Phone,Tags\n" + people.map { "Person \($0),\(SuppressionFlowTests.phone($0)),\(id)" }.joined(separator: "\n") + "\n"
            )
            #expect(try await eventually { rig.receipt("\(id).csv") != nil })
            try rig.drop(
                "\(id).json",
                #"{"id": "\#(id)", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"tags": ["\#(id)"]}, "variables": {"body": ["{name}"]}}"#
            )
            #expect(
                try await eventually { await rig.records().count { ($0["callbackData"] as? String)?.hasPrefix(id + ".") == true } == people.count }
            )
        }

        // Statuses arrive for the first campaign: no warning.
        try await campaign("first", 1...2)
        // Every status of theirs posted (sent, delivered, some read), then the last one's time is the one to name.
        #expect(
            try await eventually {
                let stats = await rig.get("/sandbox/stats") as? [String: Any]
                return stats?["statusesPending"] as? Int == 0 && stats?["statusesDelivered"] as? Int ?? 0 >= 4
            }
        )
        #expect(try await eventually { (try await webhooks()["lastStatusAt"] as? String) != nil })
        try await Task.sleep(for: .seconds(1))
        let lastStatus = try #require(try await webhooks()["lastStatusAt"] as? String)
        #expect(try await eventually { (statusFile()["lastArrival"] as? [String: String])?["messages"] != nil })
        try await Task.sleep(for: .seconds(4))
        #expect((try await webhooks()["warnings"] as? [String])?.isEmpty == true)

        // `messages` unsubscribed: the second campaign's statuses never come.
        try await subscription("DELETE")
        try await campaign("second", 3...5)
        let warned = try await eventually(timeout: 30) {
            (try await webhooks()["warnings"] as? [String])?.first?.hasPrefix("no status webhook for the 3 messages sent since") == true
        }
        let seen = try await webhooks()
        #expect(warned, "\(seen)")
        let warning = try #require((try await webhooks()["warnings"] as? [String])?.first)
        #expect(warning.contains("the last status webhook arrived at \(lastStatus)"), "\(warning)")
        let silent = try await webhooks()
        #expect(silent["lastStatusAt"] as? String == lastStatus)
        #expect(silent["unansweredSends"] as? Int == 3)
        let text = try await rig.wabulk(["status"])
        #expect(text.stdout.contains("WEBHOOKS: no status webhook for the 3 messages"), "\(text.stdout)")
        #expect(try await eventually { (statusFile()["warnings"] as? [String])?.first == warning })
        let page = try String(contentsOf: rig.home.appendingPathComponent("outbox/status.html"), encoding: .utf8)
        #expect(page.contains(#"<p class="banner warn webhooks">Webhooks: no status webhook for the 3 messages"#))
        #expect(try await eventually { (await rig.get("/sandbox/stats") as? [String: Any])?["notSubscribed"] as? Int ?? 0 >= 3 })

        // Subscribed again: the next campaign's statuses arrive, and the warning is gone.
        try await subscription("POST")
        try await campaign("third", 6...6)
        #expect(try await eventually { (try await webhooks()["warnings"] as? [String])?.isEmpty == true })
        let resumed = try await webhooks()["lastStatusAt"] as? String ?? ""
        #expect(resumed > lastStatus)
        #expect(try await eventually { (statusFile()["warnings"] as? [String])?.isEmpty == true })
    }
}
