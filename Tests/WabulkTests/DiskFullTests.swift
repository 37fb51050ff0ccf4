import EventLog
import Foundation
import Testing
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// The home on a small tmpfs made by the test, filled to the last byte mid-campaign: the listener answers
/// 500 (Meta redelivers), sending pauses with one clear line, and once space returns every message goes
/// exactly once and the refused webhook is stored on its redelivery.
@Suite(.serialized) struct DiskFullTests {
    static func phone(_ i: Int) -> String { "+9198765100\(String(format: "%02d", i))" }

    @Test func aFullDiskPausesSendingAndLosesOrDoublesNothing() async throws {
        try #require(getuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        // The sandbox holds the sends after the fifth until the disk is full: the campaign cannot finish first,
        // however slowly this busy machine runs the test.
        let rig = try SuppressionFlowTests.Rig(
            sandboxArguments: ["--webhook-retry-cap-ms", "1000", "--pause-after", Self.phone(5)],
            settings: ["WABULK_RATE": "120/min"]
        )
        let home = rig.home
        let mounted = try runProcessBlocking(
            "/bin/mount",
            ["-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", home.path],
            environment: nil,
            input: nil
        )
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer {
            rig.daemon.stop()
            _ = try? runProcessBlocking("/bin/umount", ["-l", home.path], environment: nil, input: nil)
        }
        try FileManager.default.createDirectory(at: home.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        let count = 30
        try rig.drop("contacts.csv", "Name,Phone\n" + (1...count).map { "Person \($0),\(Self.phone($0))" }.joined(separator: "\n") + "\n")
        try rig.drop(
            "full.json",
            #"{"id": "full", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
        )
        try rig.daemon.start()

        let filler = home.appendingPathComponent("filler")
        // Longer than a page: a short line can still fit in the slack of the log file's last tmpfs page.
        let text = "hello " + String(repeating: "x", count: 8000)
        let inbound = SuppressionFlowTests.inbound(#""type":"text","text":{"body":"\#(text)"}"#)
        let (answerWhileFull, sentAtFill, sentAfterPause) = try await onOwnThread { () throws -> (String, Int, Int) in
            // Five sends go out (the sandbox then holds the rest), then the disk fills up to the last byte.
            let deadline = Date().addingTimeInterval(60)
            while rig.recordsBlocking().count < 5, Date() < deadline { usleep(50_000) }
            let fd = open(filler.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let chunk = [UInt8](repeating: 0x41, count: 64 * 1024)
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
            var byte: UInt8 = 0x41
            while write(fd, &byte, 1) == 1 {}
            close(fd)
            let answer = rig.postWebhookBlocking(inbound)
            // The sends held at the sandbox are answered now: their requests left before the disk filled.
            _ = try? runProcessBlocking(
                "/usr/bin/curl",
                ["-s", "-X", "POST", "http://127.0.0.1:\(rig.sandboxPort)/sandbox/resume"],
                environment: nil,
                input: nil
            )
            // Sends already past their durable marker may finish; then nothing more leaves.
            sleep(2)
            let atFill = rig.recordsBlocking().count
            sleep(4)
            return (answer, atFill, rig.recordsBlocking().count)
        }
        #expect(answerWhileFull == "500")
        #expect(sentAtFill < count, "the campaign was over before the disk filled")
        #expect(sentAfterPause == sentAtFill, "sending went on while the disk was full")
        #expect(rig.daemonLog().contains("sending paused: "))
        #expect(rig.daemon.process?.isRunning == true)

        // Space returns: Meta (here: curl) redelivers, and the campaign finishes.
        try FileManager.default.removeItem(at: filler)
        let redelivered = try await onOwnThread { rig.postWebhookBlocking(inbound) }
        #expect(redelivered == "200")
        let finished = try await eventually(timeout: 90) {
            guard await rig.records().count >= count, let stats = await rig.get("/sandbox/stats") as? [String: Any],
                stats["statusesPending"] as? Int == 0
            else { return false }
            let status = try await rig.wabulk(["status", "--json"])
            let campaigns = (try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["campaigns"] as? [[String: Any]]
            return campaigns?.first { $0["id"] as? String == "full" }?["state"] as? String == "completed"
        }
        #expect(finished, "\(rig.daemonLog())")
        let records = await rig.records()
        // Every person exactly once.
        #expect(records.count == count)
        #expect(Set(records.map { $0["to"] as! String }) == Set((1...count).map(Self.phone)))
        // Every message's sent and delivered statuses are in the log, the redelivered webhook too, and no line
        // is glued to a torn one.
        let log = home.appendingPathComponent("var/log")
        let lines = try FileManager.default.contentsOfDirectory(atPath: log.path).filter { $0.hasSuffix(".jsonl") }.flatMap {
            try String(contentsOf: log.appendingPathComponent($0), encoding: .utf8).split(separator: "\n")
        }
        let events = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.count == lines.count)
        for status in ["sent", "delivered"] {
            let jobs = Set(
                events.filter { $0["status"] as? String == status && ($0["job"] as? String)?.hasPrefix("full.") == true }.map { $0["job"] as! String }
            )
            #expect(jobs.count == count, "\(status): \(jobs.count)")
        }
        #expect(events.contains { $0["kind"] as? String == "inbound" && $0["reason"] as? String == String(text.prefix(1000)) })
        #expect(rig.daemonLog().contains("sending resumed"))
    }
}

/// A log whose last line was torn (a power cut mid-write) before the daemon starts: the daemon cuts it back
/// (keeping the bytes in var/log/torn/) and every event it writes after reads whole.
@Suite struct TornTailDaemonTests {
    @Test func aTornTailFollowedByNewEventsLosesNoneOfThem() async throws {
        let rig = try SuppressionFlowTests.Rig(sandboxArguments: [], settings: ["WABULK_RATE": "600/min"])
        defer { rig.daemon.stop() }
        let log = rig.home.appendingPathComponent("var/log")
        try FileManager.default.createDirectory(at: log, withIntermediateDirectories: true)
        let file = log.appendingPathComponent("events-\(Timestamp.day(Date())).jsonl")
        let whole = #"{"kind":"optOut","phone":"+919876599999","reason":"replied \"STOP\"","source":"webhook","time":"\#(Timestamp.format(Date()))"}"#
        let torn = #"{"attempt":1,"campaign":"old","job":"old.0000001","kind":"status","pho"#
        try Data((whole + "\n" + torn).utf8).write(to: file)
        try rig.drop("contacts.csv", "Name,Phone\n" + (1...5).map { "Person \($0),\(SuppressionFlowTests.phone($0))" }.joined(separator: "\n") + "\n")
        try rig.drop(
            "torn.json",
            #"{"id": "torn", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()
        #expect(try await eventually(timeout: 60) { await rig.records().count == 5 }, "\(rig.daemonLog())")
        #expect(try await eventually(timeout: 30) { (try? rig.events().filter { $0["status"] as? String == "delivered" }.count) == 5 })
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        // Every line reads, the torn one is gone from the log, and the line before it is untouched.
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        #expect(lines.first.map(String.init) == whole)
        #expect(!lines.contains { $0.contains(#""campaign":"old""#) })
        let sent = try rig.events().filter { $0["status"] as? String == "sent" && ($0["job"] as? String)?.hasPrefix("torn.") == true }
        #expect(Set(sent.map { $0["job"] as! String }).count == 5)
        let kept = try FileManager.default.contentsOfDirectory(atPath: log.appendingPathComponent("torn").path)
        #expect(kept == ["\(file.lastPathComponent).\(whole.utf8.count + 1).torn"])
        #expect(try String(contentsOf: log.appendingPathComponent("torn/\(kept[0])"), encoding: .utf8) == torn)
    }
}

/// The clock stepped back across midnight, as the real daemon meets it: the log already has tomorrow's file
/// (written before NTP stepped the clock back) and the follower's place is at its end. A STOP that arrives
/// now carries today's time; it must still reach the follower, so the number is opted out.
@Suite struct ClockStepDaemonTests {
    @Test func aStopAfterTheClockWentBackAcrossMidnightStillOptsOut() async throws {
        let rig = try SuppressionFlowTests.Rig(sandboxArguments: [])
        defer { rig.daemon.stop() }
        let tomorrow = Timestamp.day(Date().addingTimeInterval(86_400))
        let log = rig.home.appendingPathComponent("var/log")
        try FileManager.default.createDirectory(at: log, withIntermediateDirectories: true)
        let line = #"{"kind":"inbound","phone":"+919876500099","reason":"hello","source":"webhook","time":"\#(tomorrow)T00:00:05.000Z"}"# + "\n"
        try Data(line.utf8).write(to: log.appendingPathComponent("events-\(tomorrow).jsonl"))
        let followers = rig.home.appendingPathComponent("var/followers")
        try FileManager.default.createDirectory(at: followers, withIntermediateDirectories: true)
        try JSONEncoder().encode(EventLogTail.Position(file: "events-\(tomorrow).jsonl", offset: UInt64(line.utf8.count)))
            .write(to: followers.appendingPathComponent("webhooks.json"))
        try rig.drop("contacts.csv", "Name,Phone\nTwelve,\(SuppressionFlowTests.target)\n")
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()
        #expect(try await eventually(timeout: 30) { rig.receipt("contacts.csv") != nil })
        let answer = try await onOwnThread { rig.postWebhookBlocking(SuppressionFlowTests.inbound(#""type":"text","text":{"body":"STOP"}"#)) }
        #expect(answer == "200")
        let list = try await eventually(timeout: 30) {
            let r = try await rig.wabulk(["contacts", "list", "--opted-out", "--json"])
            return r.stdout.contains(SuppressionFlowTests.target)
        }
        #expect(list, "\(rig.daemonLog())")
        // The line went into the newest file (tomorrow's), where the follower reads, and keeps its own time.
        let lines = try String(contentsOf: log.appendingPathComponent("events-\(tomorrow).jsonl"), encoding: .utf8)
        #expect(lines.contains(#""kind":"optOut""#))
        #expect(!FileManager.default.fileExists(atPath: log.appendingPathComponent("events-\(Timestamp.day(Date())).jsonl").path))
    }
}
