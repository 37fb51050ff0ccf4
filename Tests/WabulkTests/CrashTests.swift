import Contacts
import Curl
import EventLog
import Foundation
import GRDB
import Spool
import Testing
import WabulkBase
import WebhookListener

/// The daemon killed with SIGKILL at random moments, again and again: while it spools a big campaign,
/// and while it drains one against the sandbox. Nothing may be lost or done twice.
@Suite(.serialized) struct CrashTests {
    func baseEnvironment(home: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = home.path
        env["WHATSAPP_TOKEN"] = "crash-token"
        env["WHATSAPP_PHONE_NUMBER_ID"] = "106540352242922"
        env["WHATSAPP_APP_SECRET"] = "crash-secret"
        env["WABULK_LISTEN"] = "127.0.0.1:\(freePort())"
        env["WABULK_INBOX_SCAN_SECONDS"] = "0.1"
        env["WABULK_INBOX_SETTLE_SECONDS"] = "0.2"
        return env
    }

    /// The sandbox recording every send, and the daemon's environment to send to it wide open (400/s, 8 in
    /// flight) with a short reconcile window; `extra` settings on top.
    func startSendingSandbox(home: HomeLayout, dir: TempDir, extra: [String: String] = [:]) throws -> ([String: String], WabulkProcess, URL) {
        let sandboxPort = freePort()
        var env = baseEnvironment(home: home.root)
        env["WHATSAPP_API_BASE_URL"] = "http://127.0.0.1:\(sandboxPort)"
        env["WABULK_RATE"] = "400/s"
        env["WABULK_SEND_CONCURRENCY"] = "8"
        env["WABULK_RECONCILE_SECONDS"] = "4"
        env.merge(extra) { _, new in new }
        let sandbox = WabulkProcess(env: env, log: dir.url.appendingPathComponent("sandbox.log"))
        let record = dir.url.appendingPathComponent("sends.jsonl")
        try sandbox.start([
            "sandbox", "--port", "\(sandboxPort)", "--webhook", "http://\(env["WABULK_LISTEN"]!)/api/whatsapp/webhook",
            "--status-delay-ms", "50", "--webhook-retry-cap-ms", "1000", "--record", record.path,
        ])
        return (env, sandbox, record)
    }

    /// Who the sandbox accepted a send for, and who more than once.
    func acceptedRecipients(_ record: URL) throws -> (seen: Set<String>, twice: [String]) {
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
        let recipients = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["outcome"] as? String == "accepted" }.map { $0["to"] as! String }
        var seen = Set<String>()
        var twice: [String] = []
        for r in recipients where !seen.insert(r).inserted { twice.append(r) }
        return (seen, twice)
    }

    func files(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".json") }
    }

    @Test func spoolingAHundredThousandRecipientsSurvivesTwentyKills() async throws {
        let dir = TempDir("wabulk-crash-spool")
        let home = HomeLayout(root: dir.url.appendingPathComponent("home"))
        try home.create()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        let count = 100_000
        _ = try registry.merge((0..<count).map { Contact(phone: "+9190\(String(format: "%08d", $0))", name: "P\($0)", tags: ["all"]) }, now: Date())
        var env = baseEnvironment(home: home.root)
        env["WHATSAPP_API_BASE_URL"] = "http://127.0.0.1:9"
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        // Tomorrow: nothing is sent, so the spool holds exactly what planning wrote.
        let start = Timestamp.format(Date().addingTimeInterval(86_400))
        try Data(
            #"{"id": "big", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}, "startAt": "\#(start)"}"#
                .utf8
        )
        .write(to: home.inbox.appendingPathComponent("big.json"))
        let receipt = home.receipts.appendingPathComponent("big.json.receipt.json")
        let taken = home.intake.appendingPathComponent("big.json")
        let exists: @Sendable (URL) -> Bool = { FileManager.default.fileExists(atPath: $0.path) }
        // Timed on a thread of its own: on the cooperative pool, other tests' blocking calls delayed the kill
        // by seconds, past the end of the planning.
        let killedMidPlanning = try await onOwnThread { () -> Int in
            var landed = 0
            for _ in 0..<20 {
                try daemon.start()
                // Wait until the daemon has taken the file (a loaded machine starts it slowly), then kill it at
                // a random moment of the planning.
                let deadline = Date().addingTimeInterval(30)
                while !exists(taken) && !exists(receipt) && Date() < deadline { usleep(20_000) }
                if exists(receipt) {
                    daemon.kill9()
                    break
                }
                usleep(UInt32.random(in: 50_000...1_500_000))
                if exists(taken) && !exists(receipt) { landed += 1 }
                daemon.kill9()
            }
            return landed
        }
        try daemon.start()
        #expect(try await eventually(timeout: 300) { FileManager.default.fileExists(atPath: receipt.path) })
        daemon.stop()

        #expect(Spool.depth(in: home.spool) == Spool.Depth(ready: count))
        #expect(files(home.receipts) == ["big.json.receipt.json"])
        let r = try JSONSerialization.jsonObject(with: Data(contentsOf: receipt)) as! [String: Any]
        #expect(r["outcome"] as? String == "accepted")
        #expect((r["campaign"] as? [String: Any])?["queued"] as? Int == count)
        #expect(killedMidPlanning >= 5, "the kills should land while planning (\(killedMidPlanning) did)")
        // Each recipient's job is there exactly once (read straight from the spool's table: claiming 100k jobs
        // one by one took most of this test's time).
        let (jobs, phones) = try await Spool.openDatabase(in: home.spool).read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS jobs, COUNT(DISTINCT phone) AS phones FROM jobs")!
            return (row["jobs"] as Int, row["phones"] as Int)
        }
        #expect(jobs == count)
        #expect(phones == count)
    }

    /// Planning streams batches that the dispatcher sends while the next are read: kills while both run
    /// must leave each person of the audience spooled and sent exactly once (issue 22).
    @Test func planningWhileSendingSurvivesTwentyKills() async throws {
        let dir = TempDir("wabulk-crash-plan-send")
        let home = HomeLayout(root: dir.url.appendingPathComponent("home"))
        try home.create()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        let contacts = 24_000
        // Every other contact is in the audience; every 7th of those is excluded or opted out.
        _ = try registry.merge(
            (0..<contacts).map { i in
                Contact(
                    phone: "+9192\(String(format: "%08d", i))",
                    name: "P\(i)",
                    tags: i % 2 == 0 ? (i % 7 == 0 ? ["spring", "staff"] : ["spring"]) : ["autumn"]
                )
            },
            now: Date()
        )
        let audience = Set((0..<contacts).filter { $0 % 2 == 0 && $0 % 7 != 0 }.map { "+9192\(String(format: "%08d", $0))" })
        // Small batches: many of them land while the kills come.
        let (env, sandbox, record) = try startSendingSandbox(home: home, dir: dir, extra: ["WABULK_PLAN_BATCH_SIZE": "200"])
        defer { sandbox.stop() }
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try Data(
            #"{"id": "plan", "template": {"name": "t", "language": "en"}, "audience": {"tags": ["spring"], "excludeTags": ["staff"]}, "variables": {"body": ["{name}"]}}"#
                .utf8
        )
        .write(to: home.inbox.appendingPathComponent("plan.json"))
        let receipt = home.receipts.appendingPathComponent("plan.json.receipt.json")
        let spool = home.spool
        let exists: @Sendable (URL) -> Bool = { FileManager.default.fileExists(atPath: $0.path) }
        // How far planning has come, as the spool records it with each batch.
        let spoolDatabase = try Spool.openDatabase(in: spool)
        let planned: @Sendable () -> (jobs: Int, finished: Bool)? = {
            try? spoolDatabase.read { db in
                try Row.fetchOne(db, sql: "SELECT jobs, finished FROM plans WHERE campaign = 'plan'").map {
                    ($0["jobs"], ($0["finished"] as Int) == 1)
                }
            }
        }
        let killedMidPlanning = try await onOwnThread { () -> Int in
            var landed = 0
            for _ in 0..<20 {
                try daemon.start()
                // Killed as soon as a new batch has landed (and a random moment after: between a batch's
                // lines and its jobs, or while sending), until planning is done; then while sending.
                let before = planned()?.jobs ?? 0
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline, !exists(receipt), (planned()?.jobs ?? 0) == before { usleep(5_000) }
                usleep(UInt32.random(in: 0...30_000))
                if let now = planned(), !now.finished, Spool.depth(in: spool).total > 0 { landed += 1 }
                daemon.kill9()
            }
            return landed
        }
        try daemon.start()
        let drained = try await eventually(timeout: 300) { Spool.depth(in: home.spool).total == 0 && exists(receipt) }
        #expect(drained)
        daemon.stop()

        let r = try JSONSerialization.jsonObject(with: Data(contentsOf: receipt)) as! [String: Any]
        #expect((r["campaign"] as? [String: Any])?["queued"] as? Int == audience.count)
        #expect(killedMidPlanning >= 10, "the kills should land while planning (\(killedMidPlanning) did)")
        print("planningWhileSendingSurvivesTwentyKills: \(killedMidPlanning) kills landed mid-planning")
        let (seen, twice) = try acceptedRecipients(record)
        #expect(twice.isEmpty, "sent twice: \(twice.prefix(10))")
        #expect(seen == audience, "\(seen.subtracting(audience).count) outside the audience, \(audience.subtracting(seen).count) never reached")
    }

    @Test func drainingTenThousandAgainstTheSandboxSurvivesTwentyKills() async throws {
        let dir = TempDir("wabulk-crash-send")
        let home = HomeLayout(root: dir.url.appendingPathComponent("home"))
        try home.create()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        let count = 10_000
        _ = try registry.merge((0..<count).map { Contact(phone: "+9191\(String(format: "%08d", $0))", name: "P\($0)") }, now: Date())
        let (env, sandbox, record) = try startSendingSandbox(home: home, dir: dir)
        defer { sandbox.stop() }
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try Data(#"{"id": "drain", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#.utf8)
            .write(to: home.inbox.appendingPathComponent("drain.json"))
        for _ in 0..<20 {
            try daemon.start()
            try await Task.sleep(for: .milliseconds(Int.random(in: 800...2500)))
            daemon.kill9()
        }
        try daemon.start()
        // Drained: nothing left in the spool, and every accepted send settled in the log.
        let drained = try await eventually(timeout: 300) {
            Spool.depth(in: home.spool).total == 0
                && FileManager.default.fileExists(atPath: home.receipts.appendingPathComponent("drain.json.receipt.json").path)
        }
        #expect(drained)
        daemon.stop()

        let (seen, twice) = try acceptedRecipients(record)
        #expect(twice.isEmpty, "sent twice: \(twice.prefix(10))")
        #expect(seen.count == count, "nothing lost: \(seen.count) of \(count) recipients reached")
    }

    /// Meta gets its 200 only once the batch is on disk: kill the daemon the moment the 200 arrives, five
    /// times, and every status of every batch must be in the log and in the report after the restart.
    @Test func everyStatusOfABatchAnsweredTwoHundredSurvivesAKillRightAfter() async throws {
        let dir = TempDir("wabulk-crash-webhook")
        let home = HomeLayout(root: dir.url.appendingPathComponent("home"))
        try home.create()
        var env = baseEnvironment(home: home.root)
        env["WHATSAPP_API_BASE_URL"] = "http://127.0.0.1:9"
        let listen = env["WABULK_LISTEN"]!
        let rounds = 5
        let perBatch = 40
        // The sends the statuses are about, as the dispatcher recorded them before.
        let writer = EventLogWriter(directory: home.log)
        try await writer.append(
            (0..<(rounds * perBatch)).map { i in
                MessageEvent(
                    time: Date(),
                    status: .sent,
                    campaign: "hooks",
                    job: String(format: "hooks.%07d", i),
                    phone: "+9198\(String(format: "%08d", i))",
                    wamid: "wamid.crash\(i)",
                    attempt: 1,
                    source: "dispatch"
                )
            }
        )
        writer.close()
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        let http = CurlPool()
        for round in 0..<rounds {
            try daemon.start()
            #expect(try await eventually { (try? await http.perform(HTTPRequest(method: "GET", url: "http://\(listen)/healthz")))?.status == 200 })
            let statuses = (0..<perBatch).map { k -> String in
                let i = round * perBatch + k
                // No callback data: the statuses join their sends through the wamid alone.
                return
                    #"{"id":"wamid.crash\#(i)","status":"\#(i % 2 == 0 ? "read" : "delivered")","timestamp":"\#(1_750_030_000 + i)","recipient_id":"9198\#(String(format: "%08d", i))"}"#
            }
            let body = Array(
                #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","statuses":[\#(statuses.joined(separator: ","))]}}]}]}"#
                    .utf8
            )
            let answer = try await http.perform(
                HTTPRequest(
                    method: "POST",
                    url: "http://\(listen)/api/whatsapp/webhook",
                    headers: [(WebhookSignature.headerName, WebhookSignature.sign(body, secret: Secret("crash-secret")))],
                    body: body
                )
            )
            daemon.kill9()
            #expect(answer.status == 200)
        }
        try daemon.start()
        #expect(try await eventually { (try? await http.perform(HTTPRequest(method: "GET", url: "http://\(listen)/healthz")))?.status == 200 })
        daemon.stop()
        let events = EventLogReader(directory: home.log).readAll(includingRawBodies: true).events
        #expect(events.filter { $0.kind == .webhook }.count == rounds)
        #expect(events.filter { $0.kind == .status && $0.source == "webhook" }.count == rounds * perBatch)
        let report = try await runProcess(wabulkBinary, ["report", "--campaign", "hooks", "--json"], environment: env)
        #expect(report.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let counts = try #require(object["counts"] as? [String: Any])
        #expect(counts["total"] as? Int == rounds * perBatch)
        #expect(counts["delivered"] as? Int == rounds * perBatch)
        #expect(counts["read"] as? Int == rounds * perBatch / 2)
        let workbook = try await readXLSX(try #require(object["path"] as? String))
        #expect(workbook["Messages"]?.count == rounds * perBatch + 1)
    }
}
