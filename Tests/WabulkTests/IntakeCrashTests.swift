import Contacts
import Foundation
import Testing

/// The daemon as a real process: killed with SIGKILL in the middle of a big import, and fed a file
/// copied slowly over a share.
@Suite(.serialized) struct IntakeCrashTests {
    func environment(home: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = home.path
        env["WHATSAPP_TOKEN"] = "t"
        env["WHATSAPP_PHONE_NUMBER_ID"] = "1"
        env["WHATSAPP_APP_SECRET"] = "s"
        env["WHATSAPP_API_BASE_URL"] = "http://127.0.0.1:9"
        env["WABULK_LISTEN"] = "127.0.0.1:\(freePort())"
        env["WABULK_INBOX_SCAN_SECONDS"] = "0.2"
        env["WABULK_INBOX_SETTLE_SECONDS"] = "0.5"
        return env
    }

    /// A new home with its inbox, and a daemon for it (not started) logging beside it.
    func daemonOnNewHome(_ label: String) throws -> (dir: TempDir, home: URL, log: URL, daemon: WabulkProcess) {
        let dir = TempDir(label)
        let home = dir.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        let log = dir.url.appendingPathComponent("daemon.log")
        return (dir, home, log, WabulkProcess(env: environment(home: home), log: log))
    }

    /// Writes the 200,000-row file beside the home and moves it into inbox/ whole, as a share's copy ends.
    static func dropBigCSV(beside folder: URL, into home: URL) throws -> (unique: Int, invalid: Int, duplicates: Int) {
        let (text, unique, invalid, duplicates) = bigCSV(rows: 200_000)
        try Data(text.utf8).write(to: folder.appendingPathComponent("big.csv"))
        try FileManager.default.moveItem(at: folder.appendingPathComponent("big.csv"), to: home.appendingPathComponent("inbox/big.csv"))
        return (unique, invalid, duplicates)
    }

    /// 200,000 rows: `valid` distinct numbers in mixed spellings, every 97th row invalid, every 101st a repeat.
    static func bigCSV(rows: Int) -> (text: String, unique: Int, invalid: Int, duplicates: Int) {
        var lines = ["Name,Mobile,Tags"]
        lines.reserveCapacity(rows + 1)
        var unique = 0
        var invalid = 0
        var duplicates = 0
        for i in 0..<rows {
            if i % 97 == 96 {
                lines.append("Bad \(i),12\(i % 1000),x")
                invalid += 1
                continue
            }
            if i % 101 == 100 {
                lines.append("Again,+91 90000 \(String(format: "%05d", 0)),dup")
                duplicates += 1
                continue
            }
            let n = 9_000_000_000 + unique
            let digits = String(n)
            switch unique % 3 {
            case 0: lines.append("P\(i),\(digits),a")
            case 1: lines.append("P\(i),+91 \(digits.prefix(5)) \(digits.suffix(5)),b")
            default: lines.append("P\(i),0\(digits),c")
            }
            unique += 1
        }
        return (lines.joined(separator: "\n") + "\n", unique, invalid, duplicates)
    }

    @Test func sigkillDuringABigImportStillImportsItExactlyOnce() async throws {
        let (dir, home, log, daemon) = try daemonOnNewHome("wabulk-crash")
        try daemon.start()
        try await Task.sleep(for: .milliseconds(500))
        let (unique, invalid, duplicates) = try Self.dropBigCSV(beside: dir.url, into: home)
        let intake = home.appendingPathComponent("var/intake/big.csv")
        // Watched and killed from a thread of its own: on the cooperative pool, other suites' work once delayed
        // the polling past the whole import, so the file was never seen in var/intake.
        let killedMidImport = try await onOwnThread { () -> Bool in
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: intake.path) {
                if Date() > deadline { return false }
                usleep(10_000)
            }
            // Somewhere inside the import (it takes seconds for 200k rows).
            usleep(UInt32.random(in: 300_000...1_500_000))
            daemon.kill9()
            return true
        }
        #expect(killedMidImport, "daemon log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "none")")
        guard killedMidImport else { return daemon.kill9() }
        let receipts = home.appendingPathComponent("outbox/receipts")
        let receiptBeforeRestart = FileManager.default.fileExists(atPath: receipts.appendingPathComponent("big.csv.receipt.json").path)

        try daemon.start()
        defer { daemon.stop() }
        #expect(
            try await eventually(timeout: 120) {
                FileManager.default.fileExists(atPath: receipts.appendingPathComponent("big.csv.receipt.json").path)
            }
        )
        let names = try FileManager.default.contentsOfDirectory(atPath: receipts.path).filter { $0.hasSuffix(".receipt.json") }
        #expect(names == ["big.csv.receipt.json"], "one receipt (it existed before the restart: \(receiptBeforeRestart))")
        let receipt =
            try JSONSerialization.jsonObject(with: Data(contentsOf: receipts.appendingPathComponent("big.csv.receipt.json"))) as! [String: Any]
        let summary = receipt["contacts"] as! [String: Any]
        #expect(summary["rowsRead"] as? Int == 200_000)
        #expect(summary["inserted"] as? Int == unique)
        #expect(summary["rejected"] as? Int == invalid)
        #expect(summary["duplicatesInFile"] as? Int == duplicates)  // every "Again" row repeats the first number
        let registry = try ContactRegistry(path: home.appendingPathComponent("var/contacts.sqlite"))
        #expect(try registry.count() == unique)
        #expect(!FileManager.default.fileExists(atPath: intake.path))
    }

    @Test func aFileCopiedSlowlyIsImportedOnceAndWhole() async throws {
        let dir = TempDir("wabulk-slow")
        let home = dir.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        var env = environment(home: home)
        env["WABULK_INBOX_SETTLE_SECONDS"] = "1.5"
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try daemon.start()
        defer { daemon.stop() }
        let target = home.appendingPathComponent("inbox/slow.csv")
        _ = FileManager.default.createFile(atPath: target.path, contents: Data("Name,Phone\n".utf8))
        let handle = try FileHandle(forWritingTo: target)
        // 8 chunks, 0.4 s apart: 3 seconds of copying, each gap shorter than the settle time. Written from a
        // thread of its own: a sleep on the busy cooperative pool once overslept the settle time, and the
        // daemon rightly took the file with only its header.
        try await onOwnThread {
            for chunk in 0..<8 {
                usleep(400_000)
                handle.seekToEndOfFile()
                var text = ""
                for i in 0..<50 { text += "C\(chunk)-\(i),98\(String(format: "%08d", chunk * 50 + i))\n" }
                handle.write(Data(text.utf8))
            }
            try handle.close()
        }
        let receipts = home.appendingPathComponent("outbox/receipts")
        #expect(
            try await eventually(timeout: 30) {
                FileManager.default.fileExists(atPath: receipts.appendingPathComponent("slow.csv.receipt.json").path)
            }
        )
        try await Task.sleep(for: .seconds(2))
        let names = try FileManager.default.contentsOfDirectory(atPath: receipts.path).filter { $0.hasSuffix(".receipt.json") }
        #expect(names == ["slow.csv.receipt.json"])
        let receipt =
            try JSONSerialization.jsonObject(with: Data(contentsOf: receipts.appendingPathComponent("slow.csv.receipt.json"))) as! [String: Any]
        let summary = receipt["contacts"] as! [String: Any]
        #expect(summary["rowsRead"] as? Int == 400)
        #expect(summary["inserted"] as? Int == 400)
    }

    /// A crash (here SIGABRT, what a Swift trap ends in) while a file is processed is pinned on the file; a
    /// second one sets it aside in outbox/rejected/ and the daemon comes up and takes the next file. The
    /// SIGKILLs of the test above leave no mark.
    @Test func aFileThatCrashesTheDaemonTwiceIsSetAsideAndTheDaemonComesUp() async throws {
        let (dir, home, log, daemon) = try daemonOnNewHome("wabulk-quarantine")
        let intake = home.appendingPathComponent("var/intake/big.csv")
        _ = try Self.dropBigCSV(beside: dir.url, into: home)
        for round in 1...2 {
            try daemon.start()
            // Aborted inside this run's import (its log says it began), watched from a thread of its own.
            let aborted = try await onOwnThread { () -> Bool in
                let deadline = Date().addingTimeInterval(30)
                func began() -> Int {
                    ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "inbox: processing big.csv").count - 1
                }
                while began() < round || !FileManager.default.fileExists(atPath: intake.path) {
                    if Date() > deadline { return false }
                    usleep(10_000)
                }
                usleep(300_000)
                guard let p = daemon.process else { return false }
                kill(p.processIdentifier, SIGABRT)
                // Swift's crash reporter prints a backtrace first; a process still alive a minute on is a failure.
                let gone = Date().addingTimeInterval(60)
                while p.isRunning && Date() < gone { usleep(50_000) }
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                p.waitUntilExit()
                daemon.process = nil
                // Crashed, not stopped: the abort itself, or a second fault while Swift's crash reporter ran.
                return !(p.terminationReason == .exit && p.terminationStatus == 0)
            }
            #expect(aborted, "round \(round): \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        try daemon.start()
        defer { daemon.stop() }
        let receipts = home.appendingPathComponent("outbox/receipts")
        #expect(
            try await eventually(timeout: 30) { FileManager.default.fileExists(atPath: receipts.appendingPathComponent("big.csv.receipt.json").path) }
        )
        let receipt =
            try JSONSerialization.jsonObject(with: Data(contentsOf: receipts.appendingPathComponent("big.csv.receipt.json"))) as! [String: Any]
        #expect(receipt["outcome"] as? String == "rejected")
        #expect(receipt["archivedAs"] as? String == "rejected/big.csv")
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("outbox/rejected/big.csv").path))
        // The daemon is up: the next file is taken.
        try Data("Name,Phone\nA,9876543210\n".utf8).write(to: home.appendingPathComponent("inbox/next.csv"))
        #expect(
            try await eventually(timeout: 30) {
                FileManager.default.fileExists(atPath: receipts.appendingPathComponent("next.csv.receipt.json").path)
            }
        )
        #expect(try ContactRegistry(path: home.appendingPathComponent("var/contacts.sqlite")).count() == 1)
    }
}
