import Foundation
import Testing

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
        #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines) == "Error: setting rate from environment WABULK_RATE: \"lots\" is not a rate like 30/min")
    }
}
