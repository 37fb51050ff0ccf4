import ArgumentParser
import EventLog
import Foundation
import Logging
import Sandbox
import ServiceLifecycle
import Spool
import WabulkBase

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole story on this machine against the built-in sandbox, and write the report.",
        discussion: """
            Starts the sandbox and the daemon, drops a sample contacts CSV (with invalid and duplicate rows) and a \
            campaign manifest into inbox/, waits for every final status, writes the XLSX report to outbox/reports/, \
            prints its numbers beside the sandbox's, and stops. No Meta account is needed.
            """
    )

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Demo send rate (overrides the configured rate for this run).")
    var rate: String = "600/min"
    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 180

    func run() async throws {
        var (home, settings) = try homeOptions.layout()
        try home.create()
        guard let demoRate = SendRate(parsing: rate) else { throw ValidationError("--rate \(rate): expected a rate like 600/min") }
        let sandboxPort = try FreePort.pick()
        let listenPort = try FreePort.pick()
        settings.apiBaseURL = "http://127.0.0.1:\(sandboxPort)"
        settings.listen = ListenAddress(host: "127.0.0.1", port: listenPort)
        settings.rate = demoRate
        settings.inboxScanSeconds = 0.2
        settings.inboxSettleSeconds = 0.3
        settings.backoffBaseSeconds = 1
        let appSecret = Secret(UUID().uuidString)
        let credentials = Credentials(
            token: Secret("sandbox-token"),
            phoneNumberID: "106540352242922",
            businessAccountID: "102290129340398",
            appSecret: appSecret,
            verifyToken: Secret("sandbox-verify")
        )
        let campaign = "demo-" + Timestamp.format(Date()).prefix(19).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "T", with: "-")

        print("wabulk demo in \(home.root.path)")
        print("  sandbox (Meta stand-in) on 127.0.0.1:\(sandboxPort); webhook listener on 127.0.0.1:\(listenPort)\(settings.webhookPath)")
        print("  rate override for the demo: \(demoRate) (WABULK_RATE and wabulk.json say \(try Settings.load(file: home.configurationFile).rate))")

        var logger = Logger(label: "wabulk")
        logger.logLevel = .warning
        var script = SandboxScript()
        script.failures = DemoData.failures
        script.statusDelay = .milliseconds(150)
        let sandbox = SandboxServer(
            port: sandboxPort,
            webhookURL: "http://127.0.0.1:\(listenPort)\(settings.webhookPath)",
            appSecret: appSecret,
            script: script,
            recordFile: nil,
            logger: logger
        )
        // The demo's home is usually a checkout (group-writable under a umask of 002) and its secrets are the
        // sandbox's throwaway ones: the private-home check is for `wabulk run` against Meta.
        let daemon = try Daemon(home: home, settings: settings, credentials: credentials, logger: logger, requirePrivateHome: false)
        let group = ServiceGroup(configuration: .init(services: sandbox.services() + daemon.services, logger: logger))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }

            let contactsFile = "demo-contacts-\(campaign).csv"
            try DemoData.drop(DemoData.contactsCSV, as: contactsFile, into: home.inbox)
            try DemoData.drop(DemoData.manifest(id: campaign), as: "\(campaign).json", into: home.inbox)
            print("  dropped \(contactsFile) (\(DemoData.rowCount) rows) and \(campaign).json into inbox/")

            let deadline = Date().addingTimeInterval(timeout)
            var lastLine = ""
            while true {
                try await Task.sleep(for: .milliseconds(300))
                let receipts = (try? FileManager.default.contentsOfDirectory(atPath: home.receipts.path)) ?? []
                let manifestReceipt = receipts.first { $0.hasPrefix("\(campaign).json") && $0.hasSuffix(".receipt.json") }
                let stats = await sandbox.stats()
                let depth = await Spool(directory: home.spool).depth(campaign: campaign)
                let ledger = MessageLedger(logDirectory: home.log)
                let counts = CampaignCounts(ledger.records(campaign: campaign))
                let records = await sandbox.records().filter { $0.callbackData?.hasPrefix(campaign + ".") == true }
                let settled = records.filter { $0.outcome == "accepted" }.allSatisfy { r in
                    ledger.messages[r.callbackData ?? ""]?.status.rawValue == r.finalStatus
                }
                let line =
                    "  progress: queued \(counts.total), sent \(counts.sent), delivered \(counts.delivered), read \(counts.read), failed \(counts.failed), waiting \(counts.pending)"
                if line != lastLine {
                    print(line)
                    lastLine = line
                }
                if let manifestReceipt, depth.total == 0, counts.pending == 0, stats.statusesPending == 0, settled, counts.total > 0 {
                    print("  receipts: \(manifestReceipt)")
                    break
                }
                if manifestReceipt != nil, counts.total == 0, depth.total == 0 {
                    throw ValidationError("the demo campaign queued nothing; see \(home.receipts.path)")
                }
                if Date() > deadline { throw ValidationError("the demo did not finish within \(Int(timeout)) s") }
            }

            let result = try ReportWriter.write(
                home: home,
                scope: ReportWriter.scope(home: home, settings: settings, campaign: campaign, from: nil, to: nil),
                out: nil
            )
            let records = await sandbox.records().filter { $0.callbackData?.hasPrefix(campaign + ".") == true }
            let accepted = records.filter { $0.outcome == "accepted" }
            let sandboxLine =
                "sandbox recorded: \(records.count) send requests, \(accepted.count) accepted, "
                + "\(accepted.filter { $0.finalStatus == "read" }.count) read, "
                + "\(accepted.filter { $0.finalStatus == "delivered" }.count) delivered unread, "
                + "\(accepted.filter { $0.finalStatus == "failed" }.count) failed after acceptance, "
                + "\(records.filter { $0.outcome == "error" }.count) rejected attempts"
            print("")
            print("report: \(result.path)")
            print("report summary: \(result.summaryLine)")
            print(sandboxLine)
            let c = result.counts
            let failedBySandbox =
                accepted.filter { $0.finalStatus == "failed" }.count
                + Set(records.filter { $0.outcome == "error" && !DemoData.transientCodes.contains($0.errorCode ?? 0) }.map(\.to)).count
            let matches =
                c.sent == accepted.count && c.read == accepted.filter { $0.finalStatus == "read" }.count
                && c.delivered == accepted.filter { $0.finalStatus == "read" || $0.finalStatus == "delivered" }.count
                && c.failed == failedBySandbox
            print(matches ? "the report matches what the sandbox recorded" : "MISMATCH between the report and the sandbox")
            if !matches { throw ExitCode(3) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
