import Curl
import Foundation
import Testing
import WabulkBase
import WebhookListener

/// Every way an opt-out is recorded, each against the real daemon and the real sandbox (separate processes,
/// loopback HTTP): a campaign drains slowly, the last recipient opts out after the first sends, and the
/// sandbox's own record of what it was asked to send must hold nothing for that number from then on.
@Suite(.serialized) struct SuppressionFlowTests {
    enum Path: String, CaseIterable, Sendable {
        case stopReply, optOutButton, userPreferences, operatorOptOut, optOutFile, controlFile, failure131050, removed

        /// The skip reason the drained campaign's message to that number must carry.
        var reason: String {
            switch self {
            case .stopReply: "opted out (webhook: replied \"STOP\")"
            case .optOutButton: "opted out (webhook: replied \"Stop promotions\")"
            case .userPreferences: "opted out (webhook: stopped marketing_messages in WhatsApp)"
            case .operatorOptOut: "opted out (operator)"
            case .optOutFile: "opted out (file optout-today.csv)"
            case .controlFile: "opted out (control file stop-list.json)"
            case .failure131050: "opted out of marketing (meta-131050)"
            case .removed: "removed from contacts"
            }
        }
    }

    static let secret = "suppression-app-secret"
    static let target = "+919876500012"
    static func phone(_ i: Int) -> String { "+9198765000\(String(format: "%02d", i))" }

    final class Rig: @unchecked Sendable {
        let dir = TempDir("wabulk-suppress")
        let home: URL
        let env: [String: String]
        let sandboxPort = freePort(), listenPort = freePort()
        let sandbox: WabulkProcess
        let daemon: WabulkProcess
        let http = CurlPool()

        init(sandboxArguments: [String], settings: [String: String] = [:]) throws {
            home = dir.url.appendingPathComponent("home")
            try FileManager.default.createDirectory(at: home.appendingPathComponent("inbox"), withIntermediateDirectories: true)
            // One a second: the opt-out is recorded about ten seconds before the drain reaches that number.
            env = daemonEnvironment(
                home: home,
                sandboxPort: sandboxPort,
                listenPort: listenPort,
                secret: SuppressionFlowTests.secret,
                token: "suppression-token",
                settings: ["WABULK_RATE": "60/min", "WABULK_MAX_ATTEMPTS": "1"].merging(settings) { _, new in new }
            )
            sandbox = WabulkProcess(env: env, log: dir.url.appendingPathComponent("sandbox.log"))
            daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
            try sandbox.start(
                [
                    "sandbox", "--port", "\(sandboxPort)", "--webhook", "http://127.0.0.1:\(listenPort)/api/whatsapp/webhook",
                    "--status-delay-ms", "100", "--token", "suppression-token",
                ] + sandboxArguments
            )
        }

        func get(_ path: String) async -> Any? {
            guard let r = try? await http.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(sandboxPort)\(path)")), r.status == 200 else {
                return nil
            }
            return try? JSONSerialization.jsonObject(with: Data(r.body))
        }

        func records() async -> [[String: Any]] { await get("/sandbox/requests") as? [[String: Any]] ?? [] }

        /// Lets the sandbox take sends again after `--pause-after` held them.
        func resumeSends() async {
            _ = try? await http.perform(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(sandboxPort)/sandbox/resume"))
        }

        func drop(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: home.appendingPathComponent("inbox/\(name)"))
        }

        func receipt(_ name: String) -> [String: Any]? {
            (try? Data(contentsOf: home.appendingPathComponent("outbox/receipts/\(name).receipt.json")))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }

        func wabulk(_ arguments: [String]) async throws -> ProcessResult { try await runProcess(wabulkBinary, arguments, environment: env) }

        /// The sandbox's record, read by curl: for a thread of its own, off the cooperative pool.
        func recordsBlocking() -> [[String: Any]] {
            guard
                let r = try? runProcessBlocking(
                    "/usr/bin/curl",
                    ["-sf", "http://127.0.0.1:\(sandboxPort)/sandbox/requests"],
                    environment: nil,
                    input: nil
                ),
                r.status == 0
            else { return [] }
            return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
        }

        /// A signed webhook posted by curl; returns the HTTP status as text.
        func postWebhookBlocking(_ change: String) -> String {
            let body = Array(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[\#(change)]}]}"#.utf8)
            let signature = WebhookSignature.sign(body, secret: Secret(SuppressionFlowTests.secret))
            let file = dir.url.appendingPathComponent("webhook-\(UUID().uuidString).json")
            try? Data(body).write(to: file)
            let r = try? runProcessBlocking(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
                    "-H", "\(WebhookSignature.headerName): \(signature)", "--data-binary", "@\(file.path)",
                    "http://127.0.0.1:\(listenPort)/api/whatsapp/webhook",
                ],
                environment: nil,
                input: nil
            )
            return r?.stdout ?? "curl failed"
        }

        /// The event log's lines, decoded.
        func events() throws -> [[String: Any]] {
            let log = home.appendingPathComponent("var/log")
            return try FileManager.default.contentsOfDirectory(atPath: log.path).filter { $0.hasSuffix(".jsonl") }.sorted().flatMap { name in
                try String(contentsOf: log.appendingPathComponent(name), encoding: .utf8).split(separator: "\n")
                    .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            }
        }

        func daemonLog() -> String { (try? String(contentsOf: dir.url.appendingPathComponent("daemon.log"), encoding: .utf8)) ?? "" }
    }

    static func inbound(_ message: String) -> String {
        let digits = target.dropFirst()
        return
            #"{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Twelve"},"wa_id":"\#(digits)"}],"messages":[{"from":"\#(digits)","id":"wamid.in.\#(UUID().uuidString)","timestamp":"\#(Int(Date().timeIntervalSince1970))",\#(message)}]}}"#
    }

    @Test(arguments: Path.allCases)
    func anOptOutMidCampaignStopsEverySendToThatNumber(_ path: Path) async throws {
        // The sandbox holds every send after the first one to that number until the opt-out is in place: the
        // drain cannot reach the number meanwhile, however slowly this busy machine runs the test.
        var sandboxArguments = ["--pause-after", Self.target]
        switch path {
        case .failure131050: sandboxArguments += ["--fail-async", "\(Self.target)=131050"]
        // A transient failure that, with one attempt allowed, leaves the earlier message failed for retry-failed.
        case .operatorOptOut: sandboxArguments += ["--fail", "\(Self.target)=131000x1"]
        default: break
        }
        let rig = try Rig(sandboxArguments: sandboxArguments)
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        defer { rig.daemon.stop() }

        // Dropped together, so one pass of the watcher takes them in order (contacts first, then manifests by
        // name): the campaign that drains (twelve people, the last one the number that will opt out), then an
        // earlier-planned message to that number alone, which goes second.
        try rig.drop("contacts.csv", "Name,Phone\n" + (1...12).map { "Person \($0),\(Self.phone($0))" }.joined(separator: "\n") + "\n")
        try rig.drop(
            "a-drain.json",
            #"{"id": "drain", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
        )
        try rig.drop(
            "b-early.json",
            #"{"id": "early", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"phones": ["\#(Self.target)"]}, "variables": {"body": ["{name}"]}}"#
        )
        try rig.daemon.start()
        #expect(try await eventually { rig.receipt("b-early.json") != nil })
        #expect((rig.receipt("a-drain.json")?["campaign"] as? [String: Any])?["queued"] as? Int == 12)

        // Once the earlier message has gone to that number, the opt-out is recorded. Watching and acting run on a
        // thread of their own: the cooperative pool, busy with other suites, once let the whole drain finish
        // before this test looked again.
        let (recordedAt, output) = try await onOwnThread { () throws -> (Date, String) in
            let deadline = Date().addingTimeInterval(60)
            while !rig.recordsBlocking().contains(where: { $0["to"] as? String == Self.target }), Date() < deadline { usleep(20_000) }
            let at = Date()
            switch path {
            case .stopReply:
                return (at, rig.postWebhookBlocking(Self.inbound(#""type":"text","text":{"body":"STOP"}"#)))
            case .optOutButton:
                return (
                    at,
                    rig.postWebhookBlocking(
                        Self.inbound(
                            #""type":"button","context":{"from":"15550001111","id":"wamid.tpl"},"button":{"payload":"Stop promotions","text":"Stop promotions"}"#
                        )
                    )
                )
            case .userPreferences:
                return (
                    at,
                    rig.postWebhookBlocking(
                        #"{"field":"user_preferences","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"user_preferences":[{"wa_id":"\#(Self.target.dropFirst())","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":\#(Int(Date().timeIntervalSince1970))}]}}"#
                    )
                )
            case .operatorOptOut:
                return (at, try runProcessBlocking(wabulkBinary, ["contacts", "optout", Self.target], environment: rig.env, input: nil).stdout)
            case .optOutFile:
                try rig.drop("optout-today.csv", "Phone\n\(Self.target)\n")
                return (at, "")
            case .controlFile:
                try rig.drop("stop-list.json", #"{"action": "optout", "phones": ["\#(Self.target)", "not a number"]}"#)
                return (at, "")
            case .failure131050:
                return (at, "")
            case .removed:
                return (at, try runProcessBlocking(wabulkBinary, ["contacts", "remove", Self.target], environment: rig.env, input: nil).stdout)
            }
        }
        var optOutAt = recordedAt
        switch path {
        case .stopReply, .optOutButton, .userPreferences:
            #expect(output == "200")
        case .operatorOptOut:
            #expect(output.hasPrefix("\(Self.target) opted out\n1 waiting messages will not be sent: drain.0000012"))
        case .removed:
            #expect(output.hasPrefix("\(Self.target) removed\n1 waiting messages will not be sent: drain.0000012"))
        case .failure131050:
            // Recorded when the listener logs Meta's failed status: that is the moment to measure from.
            #expect(
                try await eventually {
                    try rig.events().contains { $0["kind"] as? String == "optOut" && $0["phone"] as? String == Self.target }
                }
            )
            let line = try #require(try rig.events().first { $0["kind"] as? String == "optOut" && $0["phone"] as? String == Self.target })
            optOutAt = try #require(Timestamp.parse(line["time"] as! String))
        case .optOutFile:
            #expect(try await eventually { rig.receipt("optout-today.csv") != nil })
        case .controlFile:
            #expect(try await eventually { rig.receipt("stop-list.json") != nil })
        }
        await rig.resumeSends()

        // The drain finishes: everyone else once, and the sandbox has no more webhooks to post.
        let finished = try await eventually(timeout: 60) {
            let accepted = await rig.records().filter { ($0["callbackData"] as? String)?.hasPrefix("drain.") == true }
            guard accepted.count >= 11, let stats = await rig.get("/sandbox/stats") as? [String: Any], stats["statusesPending"] as? Int == 0 else {
                return false
            }
            let status = try await rig.wabulk(["status", "--json"])
            let campaigns = (try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["campaigns"] as? [[String: Any]]
            return campaigns?.first { $0["id"] as? String == "drain" }?["state"] as? String == "completed"
        }
        #expect(finished, "\(rig.daemonLog())")
        let records = await rig.records()
        let drain = records.filter { ($0["callbackData"] as? String)?.hasPrefix("drain.") == true }
        #expect(drain.count == 11)
        #expect(Set(drain.map { $0["to"] as! String }) == Set((1...11).map(Self.phone)))
        // To that number: only the earlier message, and nothing at or after the moment of the opt-out.
        let toTarget = records.filter { $0["to"] as? String == Self.target }
        #expect(toTarget.map { $0["callbackData"] as? String } == ["early.0000001"])
        for r in toTarget {
            let sentAt = try #require(Timestamp.parse(r["time"] as! String))
            #expect(sentAt < optOutAt, "sent at \(r["time"] ?? ""), opt-out recorded at \(Timestamp.format(optOutAt))")
        }

        // The drained campaign's message to that number is skipped with its reason, in the log and the report.
        let skipped = try rig.events().filter { $0["job"] as? String == "drain.0000012" && $0["status"] as? String == "skipped" }
        #expect(skipped.first?["reason"] as? String == path.reason)
        let report = try await rig.wabulk(["report", "--campaign", "drain", "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let written = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let book = try await readXLSX(written["path"] as! String)
        let summary = Dictionary(book["Summary"]!.filter { $0.count >= 2 }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
        #expect(summary["Total"] == "11")
        #expect(summary["Skipped"] == "1")
        #expect(summary["Not sent: opted out or removed"] == "1")
        let row = try #require(book["Messages"]!.first { $0.first == Self.target })
        #expect(row[3] == "skipped")
        #expect(row[11] == path.reason)

        switch path {
        case .operatorOptOut:
            // The earlier message failed (transient, one attempt allowed); retry-failed must not bring it back.
            let retry = try await rig.wabulk(["campaign", "retry-failed", "early"])
            #expect(
                retry.stdout
                    == "campaign early: 0 failed messages with a transient error queued again; 1 not, their numbers having opted out or been removed\n"
            )
            try await Task.sleep(for: .seconds(2))
            #expect(await rig.records().filter { $0["to"] as? String == Self.target }.count == 1)
        case .controlFile:
            let receipt = try #require(rig.receipt("stop-list.json"))
            #expect(receipt["outcome"] as? String == "accepted")
            #expect(receipt["message"] as? String == "1 numbers opted out; 1 waiting messages will not be sent; 1 numbers not understood")
            #expect((receipt["problems"] as? [[String: Any]])?.first?["field"] as? String == "phones[1]")
        case .optOutFile:
            #expect(
                (rig.receipt("optout-today.csv")?["message"] as? String)?.hasSuffix("1 opted out, 1 waiting messages to them will not be sent")
                    == true
            )
        default:
            break
        }
        // Staff and operator see who opted out, when and how (a removal is not an opt-out).
        let list = try await rig.wabulk(["contacts", "list", "--opted-out", "--json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        if path == .removed {
            #expect(listed.isEmpty)
        } else {
            #expect(listed.map { $0["phone"] as? String } == [Self.target])
            #expect(listed.first?["scope"] as? String == (path == .failure131050 ? "marketing" : "all"))
        }
        rig.daemon.stop()
        rig.sandbox.stop()
    }
}

/// Opt-outs while the registry is locked by another process's write (what a long import does), and across a
/// SIGKILL before the follower could record them.
@Suite(.serialized) struct SuppressionUnderLockTests {
    typealias Rig = SuppressionFlowTests.Rig
    static let target = SuppressionFlowTests.target

    /// Another process holding the registry's write lock (BEGIN IMMEDIATE) until `release()`, as an import's
    /// one transaction does; returns once the lock is held.
    final class RegistryLock: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        init(_ database: URL, touching statement: String = "UPDATE contacts SET updated_at = updated_at WHERE phone = '+919876500001'") throws {
            let ready = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c",
                """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
                c.execute("BEGIN IMMEDIATE")
                c.execute(sys.argv[2])
                print("locked", flush=True)
                sys.stdin.readline()
                c.execute("COMMIT")
                """, database.path, statement,
            ]
            process.standardOutput = ready
            process.standardInput = input
            try process.run()
            _ = ready.fileHandleForReading.availableData  // "locked"
        }
        var isHeld: Bool { process.isRunning }
        func release() {
            input.fileHandleForWriting.write(Data("\n".utf8))
            process.waitUntilExit()
        }
    }

    /// `pausing`: the drain's later sends wait at the sandbox after the first until the STOP is in (see
    /// lockThenStop). Not when the daemon is killed: sends held at the sandbox across the kill would be answered
    /// to nobody and leave the restarted daemon waiting for their webhooks.
    func start(pausing: Bool = true) async throws -> Rig {
        let rig = try Rig(sandboxArguments: pausing ? ["--pause-after", SuppressionFlowTests.phone(1)] : [])
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()
        try rig.drop(
            "contacts.csv",
            "Name,Phone\n" + (1...12).map { "Person \($0),\(SuppressionFlowTests.phone($0))" }.joined(separator: "\n") + "\n"
        )
        #expect(try await eventually { rig.receipt("contacts.csv") != nil })
        try rig.drop(
            "drain.json",
            #"{"id": "drain", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually { rig.receipt("drain.json") != nil })
        return rig
    }

    /// Once sending has begun: the registry locked by another process, then a signed STOP from the last
    /// recipient; then the sandbox takes the drain's later sends again (it held them after the first).
    func lockThenStop(_ rig: Rig, thenKill: Bool = false) async throws -> (RegistryLock, String) {
        let (lock, answer) = try await onOwnThread {
            let deadline = Date().addingTimeInterval(60)
            while rig.recordsBlocking().isEmpty, Date() < deadline { usleep(20_000) }
            let lock = try RegistryLock(rig.home.appendingPathComponent("var/contacts.sqlite"))
            let answer = rig.postWebhookBlocking(SuppressionFlowTests.inbound(#""type":"text","text":{"body":"STOP"}"#))
            if thenKill { rig.daemon.kill9() }
            return (lock, answer)
        }
        if !thenKill { await rig.resumeSends() }
        return (lock, answer)
    }

    func optedOut(_ rig: Rig) async throws -> Bool {
        let show = try await rig.wabulk(["contacts", "show", Self.target, "--json"])
        return (try? JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])?["optedOut"] as? Bool == true
    }

    /// Waits for the drain to end and checks nobody got two messages and the number got none.
    func expectDrained(_ rig: Rig) async throws {
        #expect(
            try await eventually(timeout: 60) {
                let status = try await rig.wabulk(["status", "--json"])
                let campaigns =
                    (try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["campaigns"] as? [[String: Any]]
                return campaigns?.first { $0["id"] as? String == "drain" }?["state"] as? String == "completed"
            },
            "\(rig.daemonLog())"
        )
        let records = await rig.records()
        #expect(records.count == 11)
        #expect(Set(records.map { $0["to"] as! String }) == Set((1...11).map(SuppressionFlowTests.phone)))
        let skipped = try rig.events().filter { $0["job"] as? String == "drain.0000012" && $0["status"] as? String == "skipped" }
        #expect(skipped.first?["reason"] as? String == "opted out (webhook: replied \"STOP\")")
    }

    @Test func aStopWhileAnImportHoldsTheLockStopsSendingAtOnceAndReachesTheRegistryAfter() async throws {
        let rig = try await start()
        let (lock, answer) = try await lockThenStop(rig)
        #expect(answer == "200")
        // The spool stops the number at once, although the registry cannot be written yet.
        #expect(
            try await eventually(timeout: 5) {
                try rig.events().contains { $0["job"] as? String == "drain.0000012" && $0["status"] as? String == "skipped" }
            }
        )
        // The follower has tried and failed at least once, and the registry still does not have it.
        #expect(try await eventually(timeout: 10) { rig.daemonLog().contains("database is locked") })
        #expect(try await optedOut(rig) == false)
        #expect(lock.isHeld)
        lock.release()
        // The follower kept its place before the event and applies it once the lock is gone.
        #expect(try await eventually(timeout: 10) { try await optedOut(rig) })
        try await expectDrained(rig)
        rig.daemon.stop()
    }

    @Test func aSigkillAfterTheTwoHundredBeforeTheFollowerActedEndsOptedOutAfterTheRestart() async throws {
        let rig = try await start(pausing: false)
        let (lock, answer) = try await lockThenStop(rig, thenKill: true)
        #expect(answer == "200")
        #expect(lock.isHeld)
        lock.release()
        #expect(try await optedOut(rig) == false)
        try rig.daemon.start()
        #expect(try await eventually(timeout: 10) { try await optedOut(rig) })
        try await expectDrained(rig)
        rig.daemon.stop()
    }
}
