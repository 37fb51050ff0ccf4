import ArgumentParser
import EventLog
import Foundation
import WabulkBase

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Blank webhook bodies past their retention and compress event-log days that can no longer change.",
        discussion: """
            The daemon does this at start and every 6 hours; this runs it now (safe beside the daemon: both \
            take the same lock). Days older than compressLogsAfterDays (at least 7, Meta's webhook redelivery \
            horizon) become events-YYYY-MM-DD.jsonl.zst, which reports, status and `wabulk logs` read as before.
            """
    )

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Act as if it were this time (ISO 8601), for trying the settings out.")
    var now: String?
    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        let (home, settings) = try homeOptions.layout()
        let at =
            try now.map { text in
                guard let date = Timestamp.parse(text) else { throw ValidationError("--now: not an ISO 8601 time: \(text)") }
                return date
            } ?? Date()
        let blanked = try RawBodyRetention(directory: home.log, days: settings.rawWebhookRetentionDays).apply(now: at)
        let progress = TerminalProgress("compressing the log", unit: "days", quiet: json)
        let outcome = try LogCompactor(directory: home.log, days: settings.compressLogsAfterDays).apply(now: at) { done, due in
            progress.update(done, of: due)
        }
        progress.finish()
        if json {
            let object: [String: Any] = [
                "blankedBodies": blanked, "compressedDays": outcome.compressed, "plainBytes": outcome.plainBytes,
                "compressedBytes": outcome.compressedBytes, "leftoversRemoved": outcome.leftoversRemoved,
                "unreadableDays": outcome.unreadable, "snapshotDays": outcome.snapshots, "snapshotBytes": outcome.snapshotBytes,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("webhook bodies blanked: \(blanked)")
            if outcome.compressed.isEmpty {
                print("no day to compress")
            } else {
                print(
                    "compressed \(outcome.compressed.count) day(s), \(outcome.compressed.first!) to \(outcome.compressed.last!): \(outcome.plainBytes) bytes to \(outcome.compressedBytes)"
                )
            }
            if let first = outcome.snapshots.first, let last = outcome.snapshots.last {
                print(
                    "snapshots written for \(outcome.snapshots.count) day(s), \(first) to \(last): \(outcome.snapshotBytes) bytes (reports read them in place of the days)"
                )
            }
        }
        if !outcome.unreadable.isEmpty {
            // Said on stderr and in the exit code, so a cron job or a monitor notices.
            FileHandle.standardError.write(
                Data("compressed day(s) that cannot be read (restore them from a backup): \(outcome.unreadable.joined(separator: ", "))\n".utf8)
            )
            throw ExitCode(1)
        }
    }
}
