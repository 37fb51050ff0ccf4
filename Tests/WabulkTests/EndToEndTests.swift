import Foundation
import Testing

/// The real `wabulk` binary as a daemon against the real sandbox process over loopback:
/// files dropped → receipts → sends → signed webhooks → event log → XLSX, read back by openpyxl.
@Suite(.serialized) struct EndToEndTests {
    func getJSON(_ url: String) async -> Any? {
        guard let r = try? await runProcess("/usr/bin/curl", ["-sf", url]), r.status == 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    @Test func filesInReportOutThroughTheRealBinaryAndSandbox() async throws {
        let dir = TempDir("wabulk-e2e")
        let home = dir.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        let sandboxPort = freePort()
        let listenPort = freePort()
        let env = daemonEnvironment(
            home: home,
            sandboxPort: sandboxPort,
            listenPort: listenPort,
            secret: "e2e-app-secret",
            token: "e2e-token",
            settings: ["WABULK_RATE": "1200/min", "WABULK_BACKOFF_BASE_SECONDS": "0.5"]
        )
        let sandbox = WabulkProcess(env: env, log: dir.url.appendingPathComponent("sandbox.log"))
        try sandbox.start([
            "sandbox", "--port", "\(sandboxPort)", "--webhook", "http://127.0.0.1:\(listenPort)/api/whatsapp/webhook",
            "--fail", "+919876500003=131026", "--fail", "+919876500004=131000x1",
            "--fail-async", "+919876500005=131050", "--unread-share", "0.3", "--status-delay-ms", "100",
            "--token", "e2e-token",
        ])
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try daemon.start()
        #expect(try await eventually { await getJSON("http://127.0.0.1:\(sandboxPort)/sandbox/stats") != nil })

        // 20 valid contacts in mixed spellings, 2 invalid rows, 1 duplicate, one opted-out-by-tag exclusion.
        var csv = "Name,WhatsApp,Tags\n"
        for i in 1...20 {
            csv += "Person \(i),\(i % 2 == 0 ? "+91 98765 " : "098765")\(String(format: "%05d", i)),\(i == 20 ? "staff" : "customer")\n"
        }
        csv += "Broken,12345,customer\nEmpty,,customer\nPerson 1 again,+919876500001,vip\n"
        try Data(csv.utf8).write(to: home.appendingPathComponent("inbox/contacts.csv"))
        try await Task.sleep(for: .milliseconds(600))
        try Data(
            #"{"id": "e2e", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true, "excludeTags": ["staff"]}, "variables": {"body": ["{name}"]}}"#
                .utf8
        )
        .write(to: home.appendingPathComponent("inbox/e2e.json"))

        let receipts = home.appendingPathComponent("outbox/receipts")
        #expect(
            try await eventually(timeout: 30) {
                FileManager.default.fileExists(atPath: receipts.appendingPathComponent("e2e.json.receipt.json").path)
            }
        )
        let contactsReceipt =
            try JSONSerialization.jsonObject(with: Data(contentsOf: receipts.appendingPathComponent("contacts.csv.receipt.json"))) as! [String: Any]
        let summary = contactsReceipt["contacts"] as! [String: Any]
        #expect(summary["rowsRead"] as? Int == 23)
        #expect(summary["inserted"] as? Int == 20)
        #expect(summary["duplicatesInFile"] as? Int == 1)
        #expect(summary["rejected"] as? Int == 2)
        let errorsCSV = try String(contentsOf: receipts.appendingPathComponent("contacts.csv.errors.csv"), encoding: .utf8)
        #expect(
            errorsCSV
                == "row,column,value,reason\r\n\"22\",\"WhatsApp\",\"12345\",\"too short for a phone number\"\r\n\"23\",\"WhatsApp\",\"\",\"phone number is empty\"\r\n"
        )
        let campaignReceipt =
            try JSONSerialization.jsonObject(with: Data(contentsOf: receipts.appendingPathComponent("e2e.json.receipt.json"))) as! [String: Any]
        #expect(campaignReceipt["outcome"] as? String == "accepted")
        #expect((campaignReceipt["campaign"] as? [String: Any])?["queued"] as? Int == 19)
        #expect(
            FileManager.default.fileExists(
                atPath: home.appendingPathComponent("outbox/archive/\(String(ISO8601DateFormatter().string(from: Date()).prefix(10)))/contacts.csv")
                    .path
            )
        )

        // Wait until the sandbox has nothing left to report and every send is settled in the daemon's view.
        let settled = try await eventually(timeout: 60) {
            guard let stats = await getJSON("http://127.0.0.1:\(sandboxPort)/sandbox/stats") as? [String: Any],
                stats["statusesPending"] as? Int == 0, (stats["accepted"] as? Int ?? 0) == 18
            else { return false }
            let status = try await runProcess(wabulkBinary, ["status", "--json"], environment: env)
            guard let s = try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any],
                let campaign = (s["campaigns"] as? [[String: Any]])?.first
            else { return false }
            return campaign["state"] as? String == "completed"
        }
        #expect(settled)

        let records = await getJSON("http://127.0.0.1:\(sandboxPort)/sandbox/requests") as! [[String: Any]]
        let accepted = records.filter { $0["outcome"] as? String == "accepted" }
        #expect(records.count == 20)  // 19 recipients + one retry of the transient 131000
        #expect(Set(accepted.map { $0["to"] as! String }).count == accepted.count)  // nobody twice
        let read = accepted.filter { $0["finalStatus"] as? String == "read" }.count
        let unread = accepted.filter { $0["finalStatus"] as? String == "delivered" }.count
        #expect(read + unread == 17)

        let report = try await runProcess(wabulkBinary, ["report", "--campaign", "e2e", "--json"], environment: env)
        #expect(report.status == 0)
        let result = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as! [String: Any]
        let path = result["path"] as! String
        let book = try await readXLSX(path)
        let values = Dictionary(book["Summary"]!.filter { $0.count >= 2 }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
        #expect(values["Total"] == "19")
        #expect(values["Sent"] == "18")
        #expect(values["Delivered"] == "\(read + unread)")
        #expect(values["Read"] == "\(read)")
        #expect(values["Failed"] == "2")
        #expect(values["Delivery rate"].flatMap(Double.init) == Double(read + unread) / 19)
        let messages = book["Messages"]!
        #expect(messages.count == 20)
        let retried = try #require(messages.first { $0[0] == "+919876500004" })
        #expect(retried[9] == "2")
        let optedOut = try #require(messages.first { $0[0] == "+919876500005" })
        #expect(optedOut[3] == "failed")
        #expect(optedOut[10] == "131050")

        // Nothing secret in what staff see.
        for folder in ["outbox/receipts", "var/log"] {
            // Every file below, the log's day indexes (var/log/index/) too.
            let files = FileManager.default.enumerator(at: home.appendingPathComponent(folder), includingPropertiesForKeys: [.isRegularFileKey])
            var checked = 0
            while let url = files?.nextObject() as? URL {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                #expect(!text.contains("e2e-token") && !text.contains("e2e-app-secret"))
                checked += 1
            }
            #expect(checked > 0)
        }

        // Prometheus text at /metrics: every request timed, outcomes and statuses counted, the queue empty.
        let scrape = try await runProcess("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(listenPort)/metrics"])
        #expect(scrape.status == 0)
        var metrics: [String: Double] = [:]
        for line in scrape.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { metrics[String(parts[0])] = v }
        }
        #expect(metrics["wabulk_send_latency_seconds_count"] == 20)
        #expect(metrics[#"wabulk_sends_total{outcome="accepted"}"#] == 18)
        #expect(metrics[#"wabulk_sends_total{outcome="retry"}"#] == 1)
        #expect(metrics[#"wabulk_sends_total{outcome="fail"}"#] == 1)
        #expect(metrics[#"wabulk_message_statuses_total{status="sent"}"#].map { $0 >= 18 } == true)
        #expect(metrics[#"wabulk_message_statuses_total{status="read"}"#] == Double(read))
        #expect(metrics[#"wabulk_webhooks_total{outcome="accepted"}"#].map { $0 >= 1 } == true)
        #expect(metrics[#"wabulk_queue_depth{state="ready"}"#] == 0)

        daemon.stop()  // SIGINT: a clean stop
        #expect(daemon.process?.terminationStatus == 0)
        // outbox/status.json: written at start, every 30 s and on the way out, so it shows the final state.
        let status = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: home.appendingPathComponent("outbox/status.json"))) as? [String: Any]
        )
        let line = try #require((status["campaigns"] as? [[String: Any]])?.first)
        #expect(line["id"] as? String == "e2e")
        #expect(line["state"] as? String == "completed")
        #expect((line["counts"] as? [String: Any])?["read"] as? Int == read)
        #expect(status["writtenAt"] as? String != nil)
        let log = try String(contentsOf: dir.url.appendingPathComponent("daemon.log"), encoding: .utf8)
        #expect(log.contains("wabulk stopped"))
        #expect(!log.contains("e2e-token"))
    }
}
