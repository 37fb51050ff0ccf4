import ArgumentParser
import Campaigns
import EventLog
import Foundation
import Spool
import WabulkBase

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show campaigns with their counts, the queue, the current rate and the last error."
    )

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() async throws {
        let (home, settings) = try homeOptions.layout()
        let snapshot = await StatusSnapshot.take(home: home, settings: settings, now: Date())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(snapshot), as: UTF8.self))
        } else {
            print(snapshot.text)
        }
    }
}
