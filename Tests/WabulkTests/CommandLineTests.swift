import Foundation
import Testing
import WabulkBase

@Suite struct CommandLineTests {
    @Test func helpListsEveryCommand() async throws {
        let r = try await runProcess(wabulkBinary, ["--help"])
        #expect(r.status == 0)
        for command in ["run", "status", "report", "resume", "sandbox", "demo"] { #expect(r.stdout.contains("  \(command)")) }
        for command in ["run", "status", "report", "resume", "sandbox", "demo"] {
            let sub = try await runProcess(wabulkBinary, [command, "--help"])
            #expect(sub.status == 0)
            #expect(sub.stdout.contains("--home") || command == "sandbox")
        }
    }

    @Test func aWrongFlagIsOneClearLineAndNonZero() async throws {
        let r = try await runProcess(wabulkBinary, ["status", "--colour"])
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("Error: Unknown option '--colour'"))
    }

    @Test func aMissingSecretNamesItAndStopsStartUp() async throws {
        let dir = TempDir()
        var env = ProcessInfo.processInfo.environment
        for name in ["WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WEBHOOK_VERIFY_TOKEN"] { env[name] = nil }
        let r = try await runProcess(wabulkBinary, ["run", "--home", dir.url.path], environment: env)
        #expect(r.status != 0)
        #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines) == "Error: missing secret: set WHATSAPP_TOKEN in the environment")
    }

    @Test func aMalformedSettingStopsStartUpNamingTheKey() async throws {
        let dir = TempDir()
        var env = ProcessInfo.processInfo.environment
        env["WABULK_RATE"] = "lots"
        let r = try await runProcess(wabulkBinary, ["status", "--home", dir.url.path], environment: env)
        #expect(r.status != 0)
        #expect(
            r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                == "Error: setting rate from environment WABULK_RATE: \"lots\" is not a rate like 30/min"
        )
    }

    /// `contacts import` normalizes in worker processes: letters are refused there too, unless the setting
    /// reads them as keypad digits.
    @Test func theImportCommandRefusesLettersUnlessVanityNumbersAreAllowed() async throws {
        let dir = TempDir()
        let file = dir.file("people.csv", "Name,Phone\nA,98765 43210\nPlaceholder,98450ABCDE\n")
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = dir.url.appendingPathComponent("home").path
        let strict = try await runProcess(wabulkBinary, ["contacts", "import", file.path, "--json"], environment: env)
        #expect(strict.status == 0, "\(strict.stderr)")
        let receipt = try #require(try JSONSerialization.jsonObject(with: Data(strict.stdout.utf8)) as? [String: Any])
        let rejected = try #require(receipt["rejected"] as? [[String: Any]])
        #expect(rejected.count == 1)
        #expect(rejected.first?["reason"] as? String == "letters: a phone number is digits only (a placeholder or a typo?)")
        #expect((receipt["summary"] as? [String: Any])?["inserted"] as? Int == 1)

        env["WABULK_HOME"] = dir.url.appendingPathComponent("vanity").path
        env["WABULK_ALLOW_VANITY_NUMBERS"] = "true"
        let lenient = try await runProcess(wabulkBinary, ["contacts", "import", file.path, "--json"], environment: env)
        let summary = (try JSONSerialization.jsonObject(with: Data(lenient.stdout.utf8)) as? [String: Any])?["summary"] as? [String: Any]
        #expect(summary?["inserted"] as? Int == 2)
        let show = try await runProcess(wabulkBinary, ["contacts", "show", "+919845022233"], environment: env)
        #expect(show.status == 0)
    }

    /// One daemon per home: a second `wabulk run` on the same home is refused, naming the first one's PID,
    /// and the first one keeps running; once it stops, a new one starts.
    @Test func aSecondDaemonOnTheSameHomeIsRefused() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        let env = daemonEnvironment(home: home, sandboxPort: 9, listenPort: freePort(), secret: "lock-secret", token: "lock-token")
        let first = WabulkProcess(env: env, log: dir.url.appendingPathComponent("first.log"))
        try first.start()
        defer { first.stop() }
        let lock = home.appendingPathComponent("var/daemon.lock")
        let pid = try #require(first.process?.processIdentifier)
        #expect(try await eventually { (try? String(contentsOf: lock, encoding: .utf8)) == "\(pid)\n" })
        var second = env
        second["WABULK_LISTEN"] = "127.0.0.1:\(freePort())"
        let refused = try await runProcess(wabulkBinary, ["run"], environment: second)
        #expect(refused.status != 0)
        #expect(refused.stderr == "Error: another wabulk daemon is running on this home (pid \(pid), lock \(lock.path)); stop it first\n")
        #expect(first.process?.isRunning == true)
        first.stop()
        let next = WabulkProcess(env: second, log: dir.url.appendingPathComponent("next.log"))
        try next.start()
        defer { next.stop() }
        let nextPID = try #require(next.process?.processIdentifier)
        #expect(try await eventually { (try? String(contentsOf: lock, encoding: .utf8)) == "\(nextPID)\n" })
    }

    /// wabulk.json and var/ are the operator's: the daemon will not start while others can write them.
    @Test func theDaemonRefusesSettingsOthersCanWrite() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let settings = home.appendingPathComponent("wabulk.json")
        try Data(#"{"rate": "30/min"}"#.utf8).write(to: settings)
        chmod(settings.path, 0o666)
        let env = daemonEnvironment(home: home, sandboxPort: 9, listenPort: freePort(), secret: "perm-secret", token: "perm-token")
        let refused = try await runProcess(wabulkBinary, ["run"], environment: env)
        #expect(refused.status != 0)
        #expect(
            refused.stderr
                == "Error: \(settings.path) can be written by others (mode 666): anyone who can change it can redirect sending and the token; run `chmod go-w \(settings.path)` (share only inbox/ and outbox/)\n"
        )
        // Fixed, it starts, and the var/ it made is the operator's alone.
        chmod(settings.path, 0o644)
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try daemon.start()
        defer { daemon.stop() }
        #expect(try await eventually { FileManager.default.fileExists(atPath: home.appendingPathComponent("var/daemon.lock").path) })
        let attributes = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("var").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
    }

    /// /metrics is not authenticated: it counts the queue read-only (a writer holding the spool's lock does
    /// not stall it) and at most once a second.
    @Test func metricsAnswerWhileTheSpoolIsLockedForWriting() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        let port = freePort()
        let env = daemonEnvironment(home: home, sandboxPort: 9, listenPort: port, secret: "metrics-secret", token: "metrics-token")
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try daemon.start()
        defer { daemon.stop() }
        let spool = home.appendingPathComponent("var/spool/jobs.sqlite")
        #expect(try await eventually { FileManager.default.fileExists(atPath: spool.path) })
        #expect(try await eventually { try await runProcess("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/healthz"]).status == 0 })
        let lock = try SuppressionUnderLockTests.RegistryLock(spool, touching: "UPDATE jobs SET state = state")
        defer { lock.release() }
        // Waiting for the lock (the spool's busy timeout is 10 s) would run past curl's limit.
        let scrape = try await runProcess("/usr/bin/curl", ["-sf", "-m", "8", "http://127.0.0.1:\(port)/metrics"])
        #expect(scrape.status == 0)
        #expect(scrape.stdout.contains("wabulk_queue_depth{state=\"ready\"} 0"))
        #expect(lock.isHeld)
    }
}

/// inboxDir and outboxDir: only those folders are shared, outside the home with wabulk.json and var/.
@Suite struct SharedFolderTests {
    static func environment(_ home: URL, _ settings: [String: String]) -> [String: String] {
        daemonEnvironment(home: home, sandboxPort: 9, listenPort: freePort(), secret: "share-secret", token: "share-token", settings: settings)
    }

    @Test func inboxAndOutboxOutsideTheHomeAreUsed() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        let inbox = dir.url.appendingPathComponent("share/in")
        let outbox = dir.url.appendingPathComponent("share/out")
        let env = Self.environment(home, ["WABULK_INBOX_DIR": inbox.path, "WABULK_OUTBOX_DIR": outbox.path])
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try daemon.start()
        defer { daemon.stop() }
        #expect(try await eventually { FileManager.default.fileExists(atPath: inbox.path) })
        try Data("Name,Phone\nA,9876543210\n".utf8).write(to: inbox.appendingPathComponent("people.csv"))
        #expect(
            try await eventually { FileManager.default.fileExists(atPath: outbox.appendingPathComponent("receipts/people.csv.receipt.json").path) }
        )
        let days = try FileManager.default.contentsOfDirectory(atPath: outbox.appendingPathComponent("archive").path)
        // Required: with no day folder, `days[0]` below would crash the whole test process.
        try #require(days.count == 1, "\(daemon.log.path): \((try? String(contentsOf: daemon.log, encoding: .utf8)) ?? "")")
        #expect(FileManager.default.fileExists(atPath: outbox.appendingPathComponent("archive/\(days[0])/people.csv").path))
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("inbox").path))
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("outbox").path))
        // The CLI finds them through the same settings.
        let list = try await runProcess(wabulkBinary, ["contacts", "list", "--json"], environment: env)
        #expect(list.status == 0)
        #expect(list.stdout.contains("+919876543210"))
    }

    @Test func aSharedFolderThatHoldsTheOperatorsFilesIsRefused() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        for (setting, value, shown) in [
            ("WABULK_INBOX_DIR", home.path, home.path), ("WABULK_OUTBOX_DIR", "\(home.path)/var/out", "\(home.path)/var/out"),
        ] {
            let env = Self.environment(home, [setting: value])
            let refused = try await runProcess(wabulkBinary, ["run"], environment: env)
            #expect(refused.status != 0)
            let name = setting == "WABULK_INBOX_DIR" ? "inboxDir" : "outboxDir"
            #expect(
                refused.stderr
                    == "Error: \(name) \(shown) is the home or inside var/: staff who can write it could change wabulk.json or the queue; choose a folder of its own\n"
            )
        }
        // Relative paths into var/ or with .. are refused when read.
        let env = Self.environment(home, ["WABULK_INBOX_DIR": "../elsewhere"])
        let refused = try await runProcess(wabulkBinary, ["run"], environment: env)
        #expect(refused.status != 0)
        #expect(
            refused.stderr
                == "Error: setting inboxDir from environment WABULK_INBOX_DIR: \"../elsewhere\" is not a folder outside var/ and other than the home, without ..\n"
        )
    }

    @Test func aSharedFolderOnAnotherFileSystemIsRefused() async throws {
        try #require(getuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        let share = dir.url.appendingPathComponent("share")
        try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
        let mounted = try runProcessBlocking("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", share.path], environment: nil, input: nil)
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer { _ = try? runProcessBlocking("/bin/umount", ["-l", share.path], environment: nil, input: nil) }
        let env = Self.environment(home, ["WABULK_INBOX_DIR": share.path])
        let refused = try await runProcess(wabulkBinary, ["run"], environment: env)
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("Error: inboxDir \(share.path) is on another file system than var/"))
    }
}

/// A second `wabulk run` while the first sends a campaign: refused, and the sandbox sees every message once
/// at no more than the configured rate.
@Suite struct SecondDaemonTests {
    @Test func aSecondDaemonDuringACampaignChangesNothingAtMeta() async throws {
        let rig = try SuppressionFlowTests.Rig(sandboxArguments: [], settings: ["WABULK_RATE": "120/min"])
        defer { rig.daemon.stop() }
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        let count = 8
        try rig.drop(
            "contacts.csv",
            "Name,Phone\n" + (1...count).map { "Person \($0),\(SuppressionFlowTests.phone($0))" }.joined(separator: "\n") + "\n"
        )
        try rig.drop(
            "twice.json",
            #"{"id": "twice", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
        )
        try rig.daemon.start()
        #expect(try await eventually(timeout: 30) { await rig.records().count >= 1 })
        var second = rig.env
        second["WABULK_LISTEN"] = "127.0.0.1:\(freePort())"
        let refused = try await runProcess(wabulkBinary, ["run"], environment: second)
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("Error: another wabulk daemon is running on this home (pid \(rig.daemon.process!.processIdentifier)"))
        #expect(try await eventually(timeout: 30) { await rig.records().count >= count })
        try await Task.sleep(for: .seconds(1))
        let records = await rig.records()
        #expect(records.count == count)
        #expect(Set(records.map { $0["to"] as! String }).count == count)
        // 120 a minute, spaced evenly: eight sends span at least 3.5 s (0.1 s of slack for loopback jitter, which
        // can also bring two arrivals a little closer than half a second).
        let times = records.compactMap { ($0["time"] as? String).flatMap(Timestamp.parse) }.sorted()
        #expect(times.count == count)
        #expect(times.last!.timeIntervalSince(times.first!) >= 3.4)
        for (a, b) in zip(times, times.dropFirst()) { #expect(b.timeIntervalSince(a) >= 0.4, "\(a) → \(b)") }
    }
}
