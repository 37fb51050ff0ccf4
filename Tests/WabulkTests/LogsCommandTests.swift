import EventLog
import Foundation
import Testing
import WabulkBase

/// `wabulk logs` (the real binary) over a known log written as the daemon writes it: two campaigns, a
/// duplicate webhook, a status that arrived before its send was logged and names its message only by Meta's
/// id, replies and an opt-out.
@Suite struct LogsCommandTests {
    static let person = "+919876543210"
    static let day1 = Date(timeIntervalSince1970: 1_764_576_000)  // 2025-12-01T08:00:00Z
    static let day2 = day1.addingTimeInterval(86_400)

    static func at(_ base: Date, _ seconds: Double) -> Date { base.addingTimeInterval(seconds) }

    /// The log, in the order it was written.
    static func events() -> [MessageEvent] {
        var e: [MessageEvent] = []
        func dispatch(
            _ job: String,
            _ phone: String,
            _ status: MessageStatus,
            _ t: Date,
            wamid: String? = nil,
            code: Int? = nil,
            title: String? = nil
        ) {
            let campaign = String(job.prefix { $0 != "." })
            e.append(
                MessageEvent(
                    time: t,
                    status: status,
                    campaign: campaign,
                    job: job,
                    phone: phone,
                    wamid: wamid,
                    attempt: status == .queued ? nil : 1,
                    errorCode: code,
                    errorTitle: title,
                    source: EventSource.dispatch.rawValue
                )
            )
        }
        func webhook(_ job: String?, _ phone: String, _ status: MessageStatus, _ t: Date, wamid: String, code: Int? = nil, title: String? = nil) {
            e.append(
                MessageEvent(
                    time: t,
                    status: status,
                    job: job,
                    phone: phone,
                    wamid: wamid,
                    errorCode: code,
                    errorTitle: title,
                    source: EventSource.webhook.rawValue,
                    failure: code == nil ? nil : .meta
                )
            )
        }
        dispatch("diwali.0000001", person, .queued, at(day1, 0))
        dispatch("diwali.0000002", "+919876500002", .queued, at(day1, 0))
        dispatch("diwali.0000003", "+919876500003", .queued, at(day1, 0))
        dispatch("diwali.0000001", person, .sending, at(day1, 10))
        dispatch("diwali.0000001", person, .sent, at(day1, 11), wamid: "wamid.A")
        webhook("diwali.0000001", person, .delivered, at(day1, 13), wamid: "wamid.A")
        webhook("diwali.0000001", person, .delivered, at(day1, 14), wamid: "wamid.A")  // Meta sent it twice
        dispatch("diwali.0000002", "+919876500002", .sending, at(day1, 20))
        dispatch("diwali.0000002", "+919876500002", .failed, at(day1, 21), code: 131026, title: "Message undeliverable")
        dispatch("diwali.0000003", "+919876500003", .sending, at(day1, 30))
        // Its failure came before the answer to the send was logged, and names the message only by Meta's id.
        webhook(
            nil,
            "+919876500003",
            .failed,
            at(day1, 31),
            wamid: "wamid.C",
            code: 131049,
            title: "This message was not delivered to maintain healthy ecosystem engagement."
        )
        dispatch("diwali.0000003", "+919876500003", .sent, at(day1, 32), wamid: "wamid.C")
        webhook("diwali.0000001", person, .read, at(day1, 60), wamid: "wamid.A")
        e.append(
            MessageEvent(
                kind: .inbound,
                time: at(day1, 90),
                phone: person,
                wamid: "wamid.in1",
                reason: "=HYPERLINK(\"http://x\")\nThanks!",
                source: "webhook"
            )
        )
        e.append(MessageEvent(kind: .inbound, time: at(day1, 95), phone: "+919876500002", wamid: "wamid.in2", reason: "STOP", source: "webhook"))
        e.append(
            MessageEvent(kind: .optOut, time: at(day1, 95), phone: "+919876500002", wamid: "wamid.in2", reason: "replied \"STOP\"", source: "webhook")
        )
        dispatch("spring.0000001", person, .queued, at(day2, 0))
        dispatch("spring.0000001", person, .sending, at(day2, 5))
        dispatch("spring.0000001", person, .sent, at(day2, 6), wamid: "wamid.S")
        webhook("spring.0000001", person, .delivered, at(day2, 8), wamid: "wamid.S")
        return e
    }

    struct Home {
        let dir = TempDir()
        var env: [String: String] {
            var env = ProcessInfo.processInfo.environment
            env["WABULK_HOME"] = dir.url.path
            env["TZ"] = "UTC"
            return env
        }
        var log: URL { dir.url.appendingPathComponent("var/log") }

        init() async throws {
            let writer = EventLogWriter(directory: log)
            for event in LogsCommandTests.events() { try await writer.append(event) }
        }

        func logs(_ arguments: [String]) async throws -> ProcessResult {
            try await runProcess(wabulkBinary, ["logs"] + arguments, environment: env)
        }

        /// `--json` output as (job or kind, status) pairs.
        func lines(_ arguments: [String]) async throws -> [String] {
            let r = try await logs(arguments + ["--json"])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").map { line in
                let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
                let who = o["job"] as? String ?? o["wamid"] as? String ?? "?"
                return "\(who) \(o["status"] as? String ?? o["kind"] as? String ?? "?")"
            }
        }
    }

    @Test func eachFilterAloneAndCombined() async throws {
        let home = try await Home()
        #expect(try await home.lines(["--status", "failed"]) == ["diwali.0000002 failed", "wamid.C failed"])
        // The failure named only by Meta's id belongs to diwali through its send, logged after it.
        #expect(try await home.lines(["--campaign", "diwali", "--status", "failed"]) == ["diwali.0000002 failed", "wamid.C failed"])
        #expect(try await home.lines(["--campaign", "spring", "--status", "failed"]) == [])
        #expect(try await home.lines(["--code", "131049"]) == ["wamid.C failed"])
        #expect(try await home.lines(["--code", "1310"]) == [])
        #expect(
            try await home.lines(["--campaign", "diwali", "--status", "delivered,read"]) == [
                "diwali.0000001 delivered", "diwali.0000001 delivered", "diwali.0000001 read",
            ]
        )
        #expect(
            try await home.lines(["--campaign", "spring"]) == [
                "spring.0000001 queued", "spring.0000001 sending", "spring.0000001 sent", "spring.0000001 delivered",
            ]
        )
        #expect(
            try await home.lines(["--since", "2025-12-02T00:00:00Z"]) == [
                "spring.0000001 queued", "spring.0000001 sending", "spring.0000001 sent", "spring.0000001 delivered",
            ]
        )
        #expect(
            try await home.lines(["--until", "2025-12-01T08:00:11Z"]) == [
                "diwali.0000001 queued", "diwali.0000002 queued", "diwali.0000003 queued", "diwali.0000001 sending",
            ]
        )
        #expect(
            try await home.lines(["--since", "2025-12-02T08:00:06Z", "--status", "sent,delivered"]) == [
                "spring.0000001 sent", "spring.0000001 delivered",
            ]
        )
        #expect(
            try await home.lines(["--until", "2025-12-01T08:00:11Z", "--campaign", "diwali", "--status", "sending,sent"]) == [
                "diwali.0000001 sending"
            ]
        )
        #expect(try await home.lines(["--inbound"]) == ["wamid.in1 inbound", "wamid.in2 inbound"])
        #expect(try await home.lines(["--inbound", "--phone", "+919876500002"]) == ["wamid.in2 inbound"])
        let bad = try await home.logs(["--status", "bounced"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--status: \"bounced\" is not a status"))
    }

    @Test func aPersonsWholeStoryInAnySpelling() async throws {
        let home = try await Home()
        let story = [
            "diwali.0000001 queued", "diwali.0000001 sending", "diwali.0000001 sent", "diwali.0000001 delivered", "diwali.0000001 delivered",
            "diwali.0000001 read", "wamid.in1 inbound", "spring.0000001 queued", "spring.0000001 sending", "spring.0000001 sent",
            "spring.0000001 delivered",
        ]
        for spelling in ["+91 98765 43210", "098765-43210", "9876543210"] {
            #expect(try await home.lines(["--phone", spelling]) == story, "\(spelling)")
        }
        #expect(try await home.lines(["--phone", "+919876500002"]).suffix(2) == ["wamid.in2 inbound", "wamid.in2 optOut"])
        let table = try await home.logs(["--phone", "+91 98765 43210", "--campaign", "spring"])
        #expect(
            table.stdout.split(separator: "\n").prefix(2) == [
                "time (UTC+00:00)     campaign        job                     phone             status     #   code    detail",
                "2025-12-02 08:00:00  spring          spring.0000001          +919876543210     queued",
            ]
        )
    }

    @Test func csvIsSafeToOpenInExcel() async throws {
        let home = try await Home()
        let r = try await home.logs(["--inbound", "--csv"])
        #expect(r.status == 0)
        let file = home.dir.url.appendingPathComponent("replies.csv")
        try Data(r.stdout.utf8).write(to: file)
        let read = try await runProcess(
            python3,
            ["python3", "-c", "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))", file.path]
        )
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [[String]])
        #expect(rows.first == ["time", "campaign", "job", "phone", "status", "attempt", "code", "detail", "wamid"])
        #expect(rows.count == 3)
        // A reply that starts like a formula stays text; its line break is kept inside the cell.
        #expect(rows[1][7] == "'=HYPERLINK(\"http://x\")\nThanks!")
        #expect(rows[1][4] == "reply")
        #expect(rows[2][7] == "STOP")
    }

    @Test func followPrintsWhatIsLoggedAfterItStarted() async throws {
        let home = try await Home()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wabulkBinary)
        process.arguments = ["logs", "--campaign", "spring", "--status", "read", "--follow", "--json"]
        process.environment = home.env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        try await Task.sleep(for: .milliseconds(500))
        try await EventLogWriter(directory: home.log).append(
            MessageEvent(time: Self.at(Self.day2, 100), status: .read, job: "spring.0000001", phone: Self.person, wamid: "wamid.S", source: "webhook")
        )
        let line = try await onOwnThread { () -> String in
            var text = ""
            while !text.contains("\n") { text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self) }
            return text
        }
        #expect(line.contains(#""job":"spring.0000001""#) && line.contains(#""status":"read""#))
    }
}
