import Foundation
import Testing
import WabulkBase

/// `wabulk doctor` as an operator runs it: the real binary against the real sandbox, the real daemon's
/// listener answering the verify handshake, a real SMTP server process (aiosmtpd) greeting it.
@Suite(.serialized) struct DoctorTests {
    typealias Rig = SuppressionFlowTests.Rig

    static let account = ["WHATSAPP_BUSINESS_ACCOUNT_ID": "102290129340398"]

    /// Starts aiosmtpd on a free port; stopped when the returned process is killed.
    static func smtpServer() throws -> (Process, Int) {
        let port = freePort()
        let smtp = Process()
        smtp.executableURL = URL(fileURLWithPath: python3)
        let inbox = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        smtp.arguments = ["python3", "-c", ReportMailTests.server, String(port), inbox.path]
        let ready = Pipe()
        smtp.standardOutput = ready
        try smtp.run()
        _ = ready.fileHandleForReading.availableData  // "ready"
        return (smtp, port)
    }

    struct Answer {
        var status: Int32
        var lines: [String]
        var checks: [String: [String: String]]
    }

    /// Runs doctor twice, as text and as JSON, with `extra` in the environment.
    static func doctor(_ rig: Rig, _ extra: [String: String] = [:]) async throws -> Answer {
        let env = rig.env.merging(extra) { _, new in new }
        let text = try await runProcess(wabulkBinary, ["doctor"], environment: env)
        let json = try await runProcess(wabulkBinary, ["doctor", "--json"], environment: env)
        #expect(text.status == json.status)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [[String: String]]]
        let checks = Dictionary((parsed?["checks"] ?? []).map { ($0["name"] ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        return Answer(status: text.status, lines: text.stdout.split(separator: "\n").map(String.init), checks: checks)
    }

    @Test func aWellSetUpAccountPassesEveryCheck() async throws {
        let (smtp, smtpPort) = try Self.smtpServer()
        defer {
            kill(smtp.processIdentifier, SIGKILL)
            smtp.waitUntilExit()
        }
        let rig = try Rig(
            sandboxArguments: [],
            settings: Self.account.merging([
                "WABULK_SMTP_URL": "smtp://127.0.0.1:\(smtpPort)", "WABULK_SMTP_REQUIRE_TLS": "false",
            ]) { _, b in b }
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        defer { rig.daemon.stop() }
        try rig.daemon.start()
        #expect(try await rig.wabulk(["templates", "sync"]).status == 0)
        // The handshake is asked of the daemon's listener as Meta would ask the public URL.
        let callback = "http://127.0.0.1:\(rig.listenPort)/api/whatsapp/webhook"
        #expect(
            try await eventually {
                (try? await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", callback]))?.stdout == "403"
            }
        )

        let answer = try await Self.doctor(rig, ["WABULK_PUBLIC_WEBHOOK_URL": callback, "WHATSAPP_APP_ID": "1234567890"])
        #expect(answer.status == 0, "\(answer.lines)")
        // The app's callback and its six webhook fields come after the handshake.
        #expect(answer.lines.count == 15)
        #expect(answer.lines.allSatisfy { $0.hasPrefix("✓ ") }, "\(answer.lines)")
        #expect(
            answer.lines[2]
                == "✓ phone number: +1 555-000-1111 (wabulk sandbox): name APPROVED, quality GREEN, throughput STANDARD, messaging limit unlimited"
        )
        #expect(answer.lines[3] == "✓ business account: 102290129340398 has phone number 106540352242922")
        #expect(answer.lines[4] == "✓ webhooks: business account 102290129340398 sends its webhooks to wabulk")
        #expect(answer.lines[5] == "✓ callback: \(callback) answers Meta's verify handshake")
        #expect(answer.lines[6] == "✓ webhook callback: Meta posts app 1234567890's WhatsApp webhooks to \(callback)")
        #expect(answer.lines[7..<13].map { $0 } == WebhookField.allCases.map { "✓ webhook field \($0.rawValue): subscribed" })
        #expect(answer.lines[14] == "✓ smtp: smtp://127.0.0.1:\(smtpPort) greeted and answered (no mail sent)")
        #expect(answer.checks["templates"]?["found"]?.hasSuffix("approved), synced just now") == true)
        // No mail was sent, and no secret reached the output.
        #expect(!answer.lines.joined().contains("suppression-token"))

        // The verify token the dashboard holds differs from the listener's: the handshake fails with why.
        let wrong = try await Self.doctor(rig, ["WABULK_PUBLIC_WEBHOOK_URL": callback, "WEBHOOK_VERIFY_TOKEN": "not-the-one"])
        #expect(wrong.status == 1)
        #expect(wrong.lines[5] == "✗ callback: \(callback) answered 403 without the challenge — the verify token differs from WEBHOOK_VERIFY_TOKEN")
    }

    @Test func eachMistakeFailsItsOwnLine() async throws {
        let rig = try Rig(sandboxArguments: [], settings: Self.account)
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        #expect(try await rig.wabulk(["templates", "sync"]).status == 0)

        // A token Meta refuses (190): one line says so, and the checks that need Meta are not run.
        let badToken = try await Self.doctor(rig, ["WHATSAPP_TOKEN": "an-old-token"])
        #expect(badToken.status == 1)
        #expect(
            badToken.lines[1]
                == "✗ token: Meta refused it: (#190) Access token has expired — make a new system-user token with whatsapp_business_messaging and whatsapp_business_management, set WHATSAPP_TOKEN"
        )
        #expect(badToken.checks["business account"] == nil)
        #expect(!badToken.lines.joined().contains("an-old-token"))

        // A phone number id of another business account.
        let otherNumber = try await Self.doctor(rig, ["WHATSAPP_PHONE_NUMBER_ID": "109876543210987"])
        #expect(otherNumber.status == 1)
        #expect(
            otherNumber.checks["business account"]?["found"]
                == "phone number 109876543210987 is not one of business account 102290129340398's numbers (106540352242922)"
        )
        #expect(otherNumber.checks["business account"]?["outcome"] == "fail")

        // An SMTP server nobody listens on.
        let port = freePort()
        let noMail = try await Self.doctor(rig, ["WABULK_SMTP_URL": "smtp://127.0.0.1:\(port)", "WABULK_SMTP_REQUIRE_TLS": "false"])
        #expect(noMail.status == 1)
        #expect(
            noMail.lines.last
                == "✗ smtp: smtp://127.0.0.1:\(port): Couldn't connect to server — check smtpURL, smtpRequireTLS and SMTP_USERNAME/SMTP_PASSWORD"
        )
        #expect(noMail.lines.filter { $0.hasPrefix("✗") }.count == 1)
    }

    @Test func anUnsubscribedAppFailsTheWebhooksLine() async throws {
        let rig = try Rig(sandboxArguments: ["--unsubscribed"], settings: Self.account)
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        #expect(try await rig.wabulk(["templates", "sync"]).status == 0)
        let answer = try await Self.doctor(rig)
        #expect(answer.status == 1)
        #expect(
            answer.lines.filter { $0.hasPrefix("✗") } == [
                "✗ webhooks: no app is subscribed to business account 102290129340398: Meta will send no statuses, replies or opt-outs — POST /v23.0/102290129340398/subscribed_apps with the token (or subscribe in the app dashboard)"
            ]
        )
    }
}
