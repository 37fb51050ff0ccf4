import ArgumentParser
import Foundation
import Logging
import Sandbox
import ServiceLifecycle
import WabulkBase

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Play Meta's Cloud API on loopback: accept sends, answer scripted errors, post signed status webhooks.",
        discussion: """
            Point the daemon at it with WHATSAPP_API_BASE_URL=http://127.0.0.1:PORT. Webhooks are signed with \
            WHATSAPP_APP_SECRET from the environment. GET /sandbox/requests lists every send it received; \
            GET /sandbox/stats counts them and the status webhooks still to deliver.
            """
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8090
    @Option(help: "The listener's webhook URL, e.g. http://127.0.0.1:8080/api/whatsapp/webhook.")
    var webhook: String?
    @Option(
        name: .customLong("fail"),
        help: "Answer sends with an error: PHONE=CODE, PHONE=CODExN (first N attempts) or share:0.05=CODE. Repeatable."
    )
    var failures: [String] = []
    @Option(name: .customLong("fail-async"), help: "Accept, then report failed by webhook: PHONE=CODE or share:F=CODE. Repeatable.")
    var asyncFailures: [String] = []
    @Option(name: .customLong("late"), help: "Take a send, then answer after MS milliseconds: PHONE=MS or PHONE=MSxN (first N attempts). Repeatable.")
    var lateAnswers: [String] = []
    @Option(name: .customLong("lose"), help: "Take a send, never act on it, answer after MS milliseconds: PHONE=MS or PHONE=MSxN. Repeatable.")
    var lostSends: [String] = []
    @Option(help: "Share of delivered messages never read (0…1).")
    var unreadShare: Double = 0.25
    @Option(help: "Milliseconds between a send and each later status webhook.")
    var statusDelayMs: Int = 200
    @Option(help: "Longest wait in milliseconds between redeliveries of a webhook the listener refused.")
    var webhookRetryCapMs: Int = 30_000
    @Option(help: "Only this bearer token is accepted; any other gets Meta's error 190.")
    var token: String?
    @Option(help: "Also append every send request as JSON lines to this file.")
    var record: String?
    @Option(name: .customLong("fail-templates"), help: "Answer the template list with a Meta error: CODE (always) or CODExN (the first N calls).")
    var templateFailure: String?
    @Option(help: "Each uploaded media id stops working after this many sends (Meta's 30-day expiry, sooner).")
    var mediaExpiresAfter: Int?
    @Option(help: "Meta's messaging limit: unique people accepted in a moving 24 hours; one more gets an error.")
    var messagingLimit: Int?
    @Option(
        name: .customLong("pause-after"),
        help: "After the first send to PHONE, hold every later send unanswered until POST /sandbox/resume (30 s at most)."
    )
    var pauseAfter: String?
    @Flag(help: "List no app as subscribed to the business account's webhooks.")
    var unsubscribed = false
    @Option(
        name: .customLong("subscribed-fields"),
        help: "The webhook fields the app subscribes to, comma-separated (default: all wabulk acts on); only these are posted."
    )
    var subscribedFields: String?
    @Option(name: .customLong("app-id"), help: "The app's id: its token for /{app-id}/subscriptions is APP_ID|WHATSAPP_APP_SECRET.")
    var appID = "1234567890"
    @Option(help: "Log level.")
    var logLevel: Logger.Level = .notice

    func validate() throws {
        for f in failures where SandboxScript.Failure(parsing: f, async: false) == nil {
            throw ValidationError("--fail \(f): expected PHONE=CODE, PHONE=CODExN or share:F=CODE")
        }
        for f in asyncFailures where SandboxScript.Failure(parsing: f, async: true) == nil {
            throw ValidationError("--fail-async \(f): expected PHONE=CODE or share:F=CODE")
        }
        for l in lateAnswers where SandboxScript.LateAnswer(parsing: l, lost: false) == nil {
            throw ValidationError("--late \(l): expected PHONE=MS or PHONE=MSxN")
        }
        for l in lostSends where SandboxScript.LateAnswer(parsing: l, lost: true) == nil {
            throw ValidationError("--lose \(l): expected PHONE=MS or PHONE=MSxN")
        }
        if let t = templateFailure, SandboxScript.templateFailure(parsing: t) == nil {
            throw ValidationError("--fail-templates \(t): expected CODE or CODExN")
        }
        guard (0...1).contains(unreadShare) else { throw ValidationError("--unread-share must be between 0 and 1") }
        for name in (subscribedFields ?? "").split(separator: ",") where WebhookField(rawValue: String(name)) == nil {
            throw ValidationError(
                "--subscribed-fields: \(name) is not one of \(WebhookField.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }

    func run() async throws {
        var script = SandboxScript()
        script.failures =
            failures.compactMap { SandboxScript.Failure(parsing: $0, async: false) }
            + asyncFailures.compactMap { SandboxScript.Failure(parsing: $0, async: true) }
        script.lateAnswers =
            lateAnswers.compactMap { SandboxScript.LateAnswer(parsing: $0, lost: false) }
            + lostSends.compactMap { SandboxScript.LateAnswer(parsing: $0, lost: true) }
        script.unreadShare = unreadShare
        script.statusDelay = .milliseconds(statusDelayMs)
        script.expectedToken = token
        script.webhookRetryCap = .milliseconds(webhookRetryCapMs)
        script.templateFailure = templateFailure.flatMap(SandboxScript.templateFailure(parsing:))
        script.mediaExpiresAfterUses = mediaExpiresAfter
        script.messagingLimit = messagingLimit
        script.pauseAfter = pauseAfter
        script.unsubscribed = unsubscribed
        if let subscribedFields {
            script.subscribedFields = Set(subscribedFields.split(separator: ",").compactMap { WebhookField(rawValue: String($0)) })
        }
        script.appID = appID
        var logger = Logger(label: "wabulk.sandbox")
        logger.logLevel = logLevel
        let secret = ProcessInfo.processInfo.environment["WHATSAPP_APP_SECRET"].flatMap { $0.isEmpty ? nil : Secret($0) }
        if webhook != nil && secret == nil {
            throw ValidationError("set WHATSAPP_APP_SECRET so the sandbox can sign its webhooks")
        }
        let server = SandboxServer(
            port: port,
            webhookURL: webhook,
            appSecret: secret ?? Secret("unused"),
            script: script,
            recordFile: record.map { URL(fileURLWithPath: $0) },
            logger: logger
        )
        let services = server.services { port in
            // Scripts wait for this line, so it must not sit in a pipe's buffer.
            FileHandle.standardOutput.write(Data("sandbox listening on http://127.0.0.1:\(port)\n".utf8))
        }
        try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}
