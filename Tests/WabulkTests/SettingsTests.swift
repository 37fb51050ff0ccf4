import Foundation
import Testing

@testable import WabulkBase

@Suite struct SettingsTests {
    @Test func defaultsMatchTheSeedSystem() throws {
        let dir = TempDir()
        let s = try Settings.load(file: dir.url.appendingPathComponent("wabulk.json"), environment: [:])
        #expect(s.rate == SendRate(count: 30, window: .seconds(60)))
        #expect(s.maxAttempts == 3)
        #expect(s.backoffBaseSeconds == 5)
        #expect(s.defaultCountry == "91")
        #expect(s.webhookPath == "/api/whatsapp/webhook")
        #expect(s.apiBaseURL == "https://graph.facebook.com")
        #expect(s.apiVersion == "v23.0")
        #expect(s.listen == ListenAddress(host: "127.0.0.1", port: 8080))
    }

    @Test func environmentOverridesTheFile() throws {
        let dir = TempDir()
        let file = dir.file("wabulk.json", #"{"rate": "10/min", "maxAttempts": 5, "listen": "0.0.0.0:9000", "insecureWebhooks": false}"#)
        let s = try Settings.load(file: file, environment: ["WABULK_RATE": "120/min", "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9/"])
        #expect(s.rate == SendRate(count: 120, window: .seconds(60)))
        #expect(s.maxAttempts == 5)
        #expect(s.listen.port == 9000)
        #expect(s.apiBaseURL == "http://127.0.0.1:9")
    }

    @Test(arguments: [
        ("WABULK_RATE", "fast", "setting rate from environment WABULK_RATE: \"fast\" is not a rate like 30/min"),
        ("WABULK_LISTEN", "8080", "setting listen from environment WABULK_LISTEN: \"8080\" is not host:port"),
        ("WHATSAPP_API_VERSION", "23", "setting apiVersion from environment WHATSAPP_API_VERSION: \"23\" is not a version like v23.0"),
        ("WABULK_MAX_ATTEMPTS", "0", "setting maxAttempts from environment WABULK_MAX_ATTEMPTS: \"0\" is not a whole number from 1 to 100"),
    ])
    func malformedSettingNamesItsKey(name: String, value: String, message: String) throws {
        let dir = TempDir()
        #expect {
            try Settings.load(file: dir.url.appendingPathComponent("wabulk.json"), environment: [name: value])
        } throws: { error in
            (error as? SettingsError)?.description == message
        }
    }

    @Test func secretsAndUnknownKeysInTheFileAreRefused() throws {
        let dir = TempDir()
        let secret = dir.file("a.json", #"{"WHATSAPP_TOKEN": "abc"}"#)
        #expect(throws: SettingsError.secretInFile(key: "WHATSAPP_TOKEN", path: secret.path)) {
            try Settings.load(file: secret, environment: [:])
        }
        let unknown = dir.file("b.json", #"{"rat": "10/min"}"#)
        #expect(throws: SettingsError.unknownKey(key: "rat", path: unknown.path)) {
            try Settings.load(file: unknown, environment: [:])
        }
    }

    @Test func ratesParse() {
        #expect(SendRate(parsing: "30/min") == SendRate(count: 30, window: .seconds(60)))
        #expect(SendRate(parsing: "50/s") == SendRate(count: 50, window: .seconds(1)))
        #expect(SendRate(parsing: "1000/hour") == SendRate(count: 1000, window: .seconds(3600)))
        #expect(SendRate(parsing: "0/min") == nil)
        #expect(SendRate(parsing: "30") == nil)
        #expect(SendRate(parsing: "20/min")!.description == "20/min")
    }

    @Test func secretsNeverPrint() {
        let s = Secret("EAAG-very-secret")
        #expect("\(s)" == "<redacted>")
        #expect(String(describing: [s]) == "[<redacted>]")
        #expect(s.reveal() == "EAAG-very-secret")
    }
}

/// docs/CONFIGURATION.md's table and `SettingKey.all` name the same settings with the same environment
/// variables: a setting added to one and not the other fails here.
@Suite struct ConfigurationDocTests {
    @Test func theDocumentedTableMatchesTheSettings() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/CONFIGURATION.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        var documented: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[1].hasPrefix("`WABULK_") || cells[1].hasPrefix("`WHATSAPP_") else { continue }
            documented[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1].trimmingCharacters(
                in: CharacterSet(charactersIn: "`")
            )
        }
        let declared = Dictionary(uniqueKeysWithValues: SettingKey.all.map { ($0.fileKey, $0.environmentName) })
        #expect(documented == declared)
        #expect(declared.count >= 30)
        // The table is the one `wabulk config --markdown` makes, line for line.
        let start = try #require(text.range(of: "| key in wabulk.json |"))
        let table = text[start.lowerBound...].components(separatedBy: "\n\n")[0]
        #expect(table == SettingKey.markdownTable)
    }
}
