import ArgumentParser
import Campaigns
import Contacts
import EventLog
import Foundation
import Reports
import WabulkBase

struct ContactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "Look after the contacts registry: import, list, tag, opt out, export.",
        subcommands: [Import.self, List.self, Show.self, Tag.self, Tags.self, Remove.self, OptOut.self, OptIn.self, Export.self]
    )

    /// What every contacts subcommand opens.
    struct Context {
        let home: HomeLayout
        let settings: Settings
        let registry: ContactRegistry

        init(_ options: HomeOptions) throws {
            (home, settings) = try options.layout()
            try home.create()
            registry = try ContactRegistry(path: home.contactsDatabase)
        }

        /// Every opt-out, opt-in and removal goes through the recorder, so the spool (and a running daemon)
        /// stops those numbers at once.
        var recorder: OptOutRecorder { OptOutRecorder(registry: registry, spoolDirectory: home.spool, events: EventLogWriter(directory: home.log)) }

        func e164(_ raw: String) throws -> String {
            switch try PhoneNormalizer(defaultCountry: settings.defaultCountry, allowsLetters: settings.allowVanityNumbers).normalize(raw) {
            case .valid(let e): return e
            case .invalid(let reason): throw ValidationError("\(raw): \(reason)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a contacts file (.csv, .tsv, .txt, .xlsx) the way inbox/ does.")
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The file to import.") var file: String
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() async throws {
            let c = try Context(homeOptions)
            let url = URL(fileURLWithPath: file)
            let workers = try? NormalizerWorkers(
                executable: SelfExecutable.url,
                defaultCountry: c.settings.defaultCountry,
                count: ProcessInfo.processInfo.activeProcessorCount
            )
            var importer = ContactImporter(
                registry: c.registry,
                normalizer: try PhoneNormalizer(defaultCountry: c.settings.defaultCountry, allowsLetters: c.settings.allowVanityNumbers),
                workers: workers
            )
            importer.maxRows = c.settings.maxRowsPerFile
            let isText = !["xlsx", "xlsm"].contains(url.pathExtension.lowercased())
            let progress = TerminalProgress(
                "importing \(url.lastPathComponent)",
                unit: "rows",
                total: isText ? TerminalProgress.dataLines(in: url) : nil,
                quiet: json
            )
            let result = try importer.importFile(url, progress: progress.enabled ? { progress.update($0) } : nil)
            progress.finish()
            // An opt-out file: the numbers it opted out stop in the spool too.
            let stopped = try await c.recorder.record(
                result.optedOut.map {
                    PreferenceChange(phone: $0, optedOut: true, source: "file \(url.lastPathComponent)", at: Date())
                }
            )
            if json {
                try printJSON(
                    ImportReceipt(
                        file: url.lastPathComponent,
                        alreadyImported: result.alreadyImported,
                        summary: result.summary,
                        rejected: result.rejected
                    )
                )
            } else {
                let s = result.summary
                print(
                    result.alreadyImported
                        ? "\(url.lastPathComponent): imported before; nothing changed"
                        : "\(url.lastPathComponent): \(s.rowsRead) rows: \(s.inserted) new, \(s.updated) updated, \(s.duplicatesInFile) duplicates, \(s.rejected) rejected, \(s.skippedOptedOut) opted out, \(s.optedOut) opted out now (\(s.durationSeconds) s)"
                )
                for r in result.rejected.prefix(20) { print("  row \(r.row), \(r.column) \"\(r.value)\": \(r.reason)") }
                if result.rejected.count > 20 { print("  … and \(result.rejected.count - 20) more (use --json)") }
                if !stopped.dropped.isEmpty { print("\(stopped.dropped.count) waiting messages to them will not be sent") }
            }
        }
    }

    struct ImportReceipt: Codable {
        var file: String
        var alreadyImported: Bool
        var summary: ImportSummary
        var rejected: [RejectedRow]
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List contacts.")
        @OptionGroup var homeOptions: HomeOptions
        @Option(help: "Only contacts with this tag.") var tag: String?
        @Option(help: "Only contacts whose phone, name or fields contain this.") var search: String?
        @Option(help: "At most this many.") var limit: Int?
        @Option(help: "Skip this many first.") var offset: Int = 0
        @Flag(help: "Only opted-out contacts, newest first, with when and how each opted out.") var optedOut = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let registry = try Context(homeOptions).registry
            guard optedOut else {
                let contacts = try registry.list(tag: tag, search: search, limit: limit, offset: offset)
                if json { try printJSON(contacts) } else { for contact in contacts { print(describe(contact)) } }
                return
            }
            let contacts = try registry.optedOut()
            if json {
                try printJSON(
                    contacts.map {
                        OptOutLine(
                            phone: $0.phone,
                            name: $0.name,
                            scope: ($0.optOutScope ?? .all).rawValue,
                            at: $0.optedOutAt ?? "",
                            source: $0.optOutSource ?? "",
                            removed: !$0.active
                        )
                    }
                )
            } else {
                for c in contacts {
                    print(
                        "\(c.phone)\t\(c.name)\t\(c.optOutScope == .marketing ? "marketing" : "all")\t\(c.optedOutAt ?? "")\t\(c.optOutSource ?? "")"
                    )
                }
                print("\(contacts.count) opted out")
            }
        }

        struct OptOutLine: Encodable {
            var phone, name, scope, at, source: String
            var removed: Bool
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one contact.")
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The phone number, in any spelling.") var phone: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let c = try Context(homeOptions)
            let e164 = try c.e164(phone)
            guard let contact = try c.registry.contact(phone: e164) else { throw ValidationError("\(e164) is not in the registry") }
            if json {
                try printJSON(contact)
            } else {
                print(describe(contact))
                for (k, v) in contact.fields.sorted(by: { $0.key < $1.key }) { print("  \(k): \(v)") }
                if contact.optedOut { print("  opted out \(contact.optedOutAt ?? "") via \(contact.optOutSource ?? "?")") }
            }
        }
    }

    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add or remove tags on contacts.")
        @OptionGroup var homeOptions: HomeOptions
        @Option(name: .customLong("add"), help: "Tag to add (repeatable).") var add: [String] = []
        @Option(name: .customLong("remove"), help: "Tag to remove (repeatable).") var remove: [String] = []
        @Option(help: "A file of phone numbers, one per line.") var file: String?
        @Argument(help: "Phone numbers.") var phones: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if add.isEmpty && remove.isEmpty { throw ValidationError("give --add TAG and/or --remove TAG") }
            if phones.isEmpty && file == nil { throw ValidationError("give phone numbers or --file") }
        }

        func run() throws {
            let c = try Context(homeOptions)
            var raw = phones
            if let file { raw += try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init) }
            let numbers = try raw.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(c.e164)
            let changed = try c.registry.retag(phones: numbers, add: add, remove: remove, now: Date())
            if json { try printJSON(["changed": changed]) } else { print("\(changed) contacts changed") }
        }
    }

    struct Tags: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tags with how many contacts carry each.")
        @OptionGroup var homeOptions: HomeOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let tags = try Context(homeOptions).registry.tagCounts()
            if json {
                try printJSON(tags.map { ["tag": $0.tag, "count": String($0.count)] })
            } else {
                for tag in tags { print("\(tag.count)\t\(tag.tag)") }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a contact (kept, never messaged, never re-added by an import); its waiting messages are dropped."
        )
        @OptionGroup var homeOptions: HomeOptions
        @Argument var phone: String
        func run() async throws {
            let c = try Context(homeOptions)
            let e164 = try c.e164(phone)
            let known = try c.registry.contact(phone: e164)
            let outcome = try await c.recorder.remove([e164])
            print(
                known == nil
                    ? "\(e164) was not in the registry; it is kept as removed so no import adds it"
                    : known?.active == false ? "\(e164) was removed already" : "\(e164) removed"
            )
            report(outcome)
        }
    }

    struct OptOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "optout",
            abstract: "Opt a contact out of all campaigns: its waiting messages are dropped at once, even while the daemon runs."
        )
        @OptionGroup var homeOptions: HomeOptions
        @Argument var phone: String
        func run() async throws {
            let c = try Context(homeOptions)
            let e164 = try c.e164(phone)
            let outcome = try await c.recorder.record([PreferenceChange(phone: e164, optedOut: true, source: "operator", at: Date())])
            print(outcome.results.first?.changed == true ? "\(e164) opted out" : "\(e164) was opted out already")
            report(outcome)
        }
    }

    struct OptIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "optin",
            abstract: "Opt a contact back in (only when the person asked to be messaged again)."
        )
        @OptionGroup var homeOptions: HomeOptions
        @Argument var phone: String
        func run() async throws {
            let c = try Context(homeOptions)
            let e164 = try c.e164(phone)
            let outcome = try await c.recorder.record([PreferenceChange(phone: e164, optedOut: false, source: "operator", at: Date())])
            let result = outcome.results.first
            print(
                result?.superseded == true
                    ? "\(e164): a newer opt-out is on record; not opted in"
                    : result?.changed == true ? "\(e164) opted in" : "\(e164) was not opted out"
            )
        }
    }

}

/// What an opt-out or removal did to messages under way.
private func report(_ outcome: OptOutRecorder.Outcome) {
    if !outcome.dropped.isEmpty {
        print("\(outcome.dropped.count) waiting messages will not be sent: \(outcome.dropped.map(\.id).joined(separator: ", "))")
    }
    for job in outcome.inFlight { print("\(job.id) was already on its way to Meta when this was recorded") }
}

private func describe(_ c: Contact) -> String {
    "\(c.phone)\t\(c.name)\t\(c.tags.joined(separator: ","))\(c.optedOut ? "\topted out" : "")\(c.active ? "" : "\tremoved")"
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
