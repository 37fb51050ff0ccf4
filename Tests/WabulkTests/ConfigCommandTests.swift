import Foundation
import Intake
import Testing
import WabulkBase

/// `wabulk config` (issue 24): the value in force of every setting and where it came from, secrets as set or
/// unset only; `wabulk config check` without starting anything.
@Suite struct ConfigCommandTests {
    static func environment(_ home: URL, _ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WABULK_") && !$0.key.hasPrefix("WHATSAPP_") }
        env["WABULK_HOME"] = home.path
        env.merge(extra) { _, b in b }
        return env
    }

    @Test func eachSettingSaysWhereItCameFrom() async throws {
        let dir = TempDir("wabulk-config")
        try Data(#"{"rate": "60/min", "timezone": "Europe/Paris"}"#.utf8).write(to: dir.url.appendingPathComponent("wabulk.json"))
        // One key in the file, one in the environment over the file, one default; a secret set.
        let env = Self.environment(dir.url, ["WABULK_TIMEZONE": "Asia/Kolkata", "WHATSAPP_TOKEN": "EAAG-config-secret"])
        let run = try await runProcess(wabulkBinary, ["config", "--json"], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let settings = Dictionary(uniqueKeysWithValues: (json["settings"] as? [[String: Any]] ?? []).map { ($0["key"] as? String ?? "", $0) })
        #expect(settings.count == SettingKey.all.count)
        #expect(settings["rate"]?["value"] as? String == "60/min")
        #expect(settings["rate"]?["origin"] as? String == "file")
        #expect(settings["rate"]?["from"] as? String == "wabulk.json")
        #expect(settings["timezone"]?["value"] as? String == "Asia/Kolkata")
        #expect(settings["timezone"]?["origin"] as? String == "environment")
        #expect(settings["timezone"]?["from"] as? String == "WABULK_TIMEZONE")
        #expect(settings["maxAttempts"]?["value"] as? String == "3")
        #expect(settings["maxAttempts"]?["origin"] as? String == "default")
        #expect(settings["maxAttempts"]?["documentation"] as? String == "attempts per message for transient errors")
        let secrets = Dictionary(
            uniqueKeysWithValues: (json["secrets"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["set"] as? Bool) }
        )
        #expect(secrets["WHATSAPP_TOKEN"] == true && secrets["WHATSAPP_APP_SECRET"] == false)
        let text = try await runProcess(wabulkBinary, ["config"], environment: env)
        #expect(text.stdout.contains("WHATSAPP_TOKEN: set"))
        #expect(text.stdout.split(separator: "\n").contains { $0.hasPrefix("timezone ") && $0.contains("Asia/Kolkata  (WABULK_TIMEZONE)") })
        for output in [run.stdout, text.stdout] { #expect(!output.contains("EAAG-config-secret")) }
    }

    @Test func checkSaysWhatRunWouldRefuse() async throws {
        let dir = TempDir("wabulk-config")
        chmod(dir.url.path, 0o700)
        let ready = Self.environment(dir.url, ["WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_APP_SECRET": "s"])
        let good = try await runProcess(wabulkBinary, ["config", "check"], environment: ready)
        #expect(good.status == 0, "\(good.stdout)")
        #expect(good.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("✓ ") })
        var broken = ready
        broken["WABULK_RATE"] = "lots"
        broken["WHATSAPP_APP_SECRET"] = nil
        let bad = try await runProcess(wabulkBinary, ["config", "check"], environment: broken)
        #expect(bad.status == 1)
        #expect(
            bad.stdout.split(separator: "\n").filter { $0.hasPrefix("✗ ") } == [
                #"✗ settings: setting rate from environment WABULK_RATE: "lots" is not a rate like 30/min"#,
                "✗ webhooks: WHATSAPP_APP_SECRET is not set: the listener will not start (it verifies Meta's signatures with it)",
            ]
        )
    }
}

/// `wabulk --version` names the release and the commit the binary was built from.
@Suite struct VersionTests {
    @Test func theVersionNamesTheCommit() async throws {
        let run = try await runProcess(wabulkBinary, ["--version"])
        #expect(run.status == 0)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // The commit it names is this checkout's HEAD or one before it (a binary built, then a commit made).
        let named = try #require(run.stdout.split(separator: " ").last.map { String($0.dropLast(2)) })
        #expect(run.stdout.hasPrefix("wabulk 0.14.0 (commit "), "\(run.stdout)")
        let hash = String(named.prefix { $0 != "+" })
        if FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) {
            #expect(hash.count == 12, "\(run.stdout)")
            let ancestor = try await runProcess("/usr/bin/git", ["-C", root.path, "merge-base", "--is-ancestor", hash, "HEAD"])
            #expect(ancestor.status == 0, "\(run.stdout)")
        } else {
            #expect(hash == "unknown")
        }
        #expect(run.stdout.hasSuffix(")\n"))
    }
}

/// outbox/README.txt (issue 24): the staff's short guide, written where they look, replacing whatever a staff
/// member left under that name without writing through it.
@Suite struct OutboxReadmeTests {
    @Test func theGuideIsWrittenAndALinkLeftThereIsReplacedNotFollowed() throws {
        let dir = TempDir("wabulk-readme")
        let outbox = dir.url.appendingPathComponent("outbox")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        let target = dir.url.appendingPathComponent("operator-file")
        try Data("keep".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: outbox.appendingPathComponent("README.txt"), withDestinationURL: target)
        OutboxReadme.write(in: outbox)
        let written = outbox.appendingPathComponent("README.txt")
        #expect(try String(contentsOf: written, encoding: .utf8) == OutboxReadme.text)
        #expect(try FileManager.default.attributesOfItem(atPath: written.path)[.type] as? FileAttributeType == .typeRegular)
        #expect(try String(contentsOf: target, encoding: .utf8) == "keep")
        for words in ["inbox/", "receipt.json", "\"action\": \"pause\"", "optout", "status.html", "reports/", "templates.xlsx"] {
            #expect(OutboxReadme.text.contains(words), "\(words)")
        }
        // The staff guide it points to exists, with its pictures.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let guide = try String(contentsOf: root.appendingPathComponent("docs/STAFF.md"), encoding: .utf8)
        for picture in ["status-page.png", "report-summary.png"] {
            #expect(guide.contains("(\(picture))") && FileManager.default.fileExists(atPath: root.appendingPathComponent("docs/\(picture)").path))
        }
    }
}
