import ArgumentParser
import Foundation
import WabulkBase

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the settings in force and where each came from, or check them without starting.",
        subcommands: [Show.self, Check.self],
        defaultSubcommand: Show.self
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Every setting's value, its source (default, wabulk.json, environment variable) and what it does; secrets as set or unset."
        )

        @OptionGroup var homeOptions: HomeOptions
        @Flag(help: "Print one JSON document.")
        var json = false
        @Flag(help: "Print the settings table of docs/CONFIGURATION.md (the defaults, not this home's values).")
        var markdown = false

        func run() async throws {
            if markdown {
                print(SettingKey.markdownTable)
                return
            }
            let home = HomeLayout.resolve(option: homeOptions.home)
            let settings = try SettingSource.all(file: home.configurationFile)
            let secrets = SecretSource.all()
            if json {
                struct Document: Encodable {
                    var home: String
                    var settings: [SettingSource]
                    var secrets: [SecretSource]
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(Document(home: home.root.path, settings: settings, secrets: secrets)), as: UTF8.self))
                return
            }
            print("home: \(home.root.path)")
            let width = settings.map(\.key.count).max() ?? 0
            for s in settings {
                print(
                    "\(s.key.padding(toLength: width, withPad: " ", startingAt: 0))  \(s.value.isEmpty ? "\"\"" : s.value)  (\(s.from)) — \(s.documentation)"
                )
            }
            print("secrets (environment only, never shown):")
            for s in secrets { print("  \(s.name): \(s.set ? "set" : "unset")") }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check what `wabulk run` needs without starting it: settings, secrets, the home's permissions. Exits 1 when any fails.",
            discussion: "Meta itself is not asked: `wabulk doctor` does that."
        )

        @OptionGroup var homeOptions: HomeOptions

        func run() async throws {
            let home = HomeLayout.resolve(option: homeOptions.home)
            var failed = false
            func line(_ ok: Bool, _ text: String) {
                print("\(ok ? "✓" : "✗") \(text)")
                if !ok { failed = true }
            }
            let settings: Settings?
            do {
                let sources = try SettingSource.all(file: home.configurationFile)
                settings = try Settings.load(file: home.configurationFile)
                let set = sources.filter { $0.origin != .default }.map { "\($0.key) (\($0.from))" }
                line(true, "settings: valid" + (set.isEmpty ? ", all defaults" : "; set: " + set.joined(separator: ", ")))
            } catch {
                settings = nil
                line(false, "settings: \(error)")
            }
            let credentials = Credentials.fromEnvironment()
            do {
                _ = try credentials.requireForSending()
                line(true, "secrets: WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID are set")
            } catch {
                line(false, "secrets: \(error)")
            }
            if credentials.appSecret == nil {
                line(
                    settings?.insecureWebhooks == true,
                    settings?.insecureWebhooks == true
                        ? "webhooks: no WHATSAPP_APP_SECRET, and insecureWebhooks is on: unsigned webhooks are accepted"
                        : "webhooks: WHATSAPP_APP_SECRET is not set: the listener will not start (it verifies Meta's signatures with it)"
                )
            } else {
                line(true, "webhooks: WHATSAPP_APP_SECRET is set")
            }
            if FileManager.default.fileExists(atPath: home.root.path) {
                do {
                    try home.checkPrivate()
                    line(true, "home: \(home.root.path): only its owner can write it")
                } catch {
                    line(false, "home: \(error)")
                }
            } else {
                line(true, "home: \(home.root.path) does not exist yet: `wabulk run` creates it")
            }
            if failed { throw ExitCode(1) }
        }
    }
}
