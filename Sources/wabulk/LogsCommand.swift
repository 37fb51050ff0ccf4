import ArgumentParser
import Contacts
import EventLog
import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "The message log, filtered: by campaign, status, number, time, Meta's error code; replies; --follow.",
        discussion: """
            `wabulk logs --phone "+91 98765 43210"` prints that person's whole story across campaigns: every \
            attempt, status, error, opt-out and reply. Times are shown in this machine's time zone.
            """
    )

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Only this campaign's messages.")
    var campaign: String?
    @Option(help: "Only these statuses, comma-separated: queued, sending, sent, delivered, read, failed, deferred, skipped, cancelled …")
    var status: String?
    @Option(help: "Only this number, in any spelling (normalized as contacts are).")
    var phone: String?
    @Option(help: "From this time: 2026-12-01, an ISO 8601 time, or a duration back from now (30m, 2h, 7d).")
    var since: String?
    @Option(help: "Before this time (same forms as --since).")
    var until: String?
    @Option(help: "Only events with Meta's error code N.")
    var code: Int?
    @Flag(help: "Customers' replies instead of message statuses.")
    var inbound = false
    @Flag(help: "Keep printing matching events as they are logged, like tail -f.")
    var follow = false
    @Flag(help: "The log's own JSON lines.")
    var json = false
    @Flag(help: "CSV, safe to open in Excel.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
    }

    func run() throws {
        let (home, settings) = try homeOptions.layout()
        var query = LogQuery()
        query.campaign = campaign
        query.code = code
        query.inbound = inbound
        if let status {
            var statuses: Set<MessageStatus> = []
            for word in status.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !word.isEmpty {
                guard let s = MessageStatus(rawValue: word) else {
                    throw ValidationError(
                        "--status: \"\(word)\" is not a status (\(MessageStatus.allCases.map(\.rawValue).joined(separator: ", ")))"
                    )
                }
                statuses.insert(s)
            }
            query.statuses = statuses
        }
        if let phone {
            let normalizer = try PhoneNormalizer(defaultCountry: settings.defaultCountry, allowsLetters: settings.allowVanityNumbers)
            switch normalizer.normalize(phone) {
            case .valid(let e164): query.phone = e164
            case .invalid(let reason): throw ValidationError("--phone: \"\(phone)\" is not a phone number (\(reason))")
            }
        }
        let now = Date()
        query.since = try since.map { try Self.time($0, now: now, option: "--since") }
        query.until = try until.map { try Self.time($0, now: now, option: "--until") }

        let listing = LogListing(format: json ? .json : csv ? .csv : .table)
        let out = OutputBuffer()
        if let header = listing.header { out.write(header) }
        var offsets = query.scan(directory: home.log) { line, event in out.write(listing.row(line, event)) }
        out.flush()
        guard follow else { return }
        while true {
            usleep(250_000)
            offsets = query.scan(directory: home.log, from: offsets) { line, event in out.write(listing.row(line, event)) }
            out.flush()
        }
    }

    /// "2026-12-01" (midnight in this machine's zone), an ISO 8601 time, or "30m", "2h", "7d" back from now.
    static func time(_ text: String, now: Date, option: String) throws -> Date {
        if let last = text.last, let unit = ["s": 1.0, "m": 60, "h": 3600, "d": 86_400][String(last)], let n = Double(text.dropLast()), n >= 0 {
            return now.addingTimeInterval(-n * unit)
        }
        if let date = ReportWriter.parseDate(text, timeZone: .current) { return date }
        throw ValidationError("\(option): \"\(text)\" is not a date (2026-12-01), a time (2026-12-01T09:30:00Z) or a duration (2h)")
    }
}

/// stdout in 64 kB writes: a print per line was most of the time of a long listing.
final class OutputBuffer {
    private var bytes: [UInt8] = []

    func write(_ line: String) {
        bytes.append(contentsOf: line.utf8)
        bytes.append(0x0A)
        if bytes.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { all in
            var done = 0
            while done < all.count {
                let n = Glibc.write(1, all.baseAddress! + done, all.count - done)
                if n <= 0 { break }
                done += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
