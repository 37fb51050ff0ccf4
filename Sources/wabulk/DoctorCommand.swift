import ArgumentParser
import CloudAPI
import Doctor
import Foundation
import WabulkBase

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the token, phone number, business account, webhooks, templates, mail server and home before sending.",
        discussion: "One line per check: ✓ passed, ✗ failed (with what to do), - not configured. Exits 1 when any check failed."
    )

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Print the checks as one JSON document.")
    var json = false

    func run() async throws {
        let (home, settings) = try homeOptions.layout()
        let credentials = Credentials.fromEnvironment()
        let client = (try? credentials.requireForSending()).map {
            CloudAPIClient(
                baseURL: settings.apiBaseURL,
                version: settings.apiVersion,
                phoneNumberID: $0.phoneNumberID,
                token: $0.token,
                timeout: settings.requestTimeoutSeconds
            )
        }
        let checks = await Doctor(home: home, settings: settings, credentials: credentials, client: client).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(["checks": checks]), as: UTF8.self))
        } else {
            for check in checks { print(check.line) }
        }
        if checks.contains(where: { $0.outcome == .fail }) { throw ExitCode(1) }
    }
}
