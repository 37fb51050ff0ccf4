import Account
import ArgumentParser
import Campaigns
import Contacts
import EventLog
import Foundation
import Spool
import WabulkBase

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "List, inspect, pause, resume, cancel campaigns, or retry their transient failures.",
        subcommands: [List.self, Show.self, Plan.self, Pause.self, Resume.self, Cancel.self, RetryFailed.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every campaign with its state and counts.")
        @OptionGroup var homeOptions: HomeOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (home, settings) = try homeOptions.layout()
            let snapshot = await StatusSnapshot.take(home: home, settings: settings, now: Date(), campaigns: .all)
            if json {
                try printJSON(snapshot.campaigns)
            } else {
                for c in snapshot.campaigns {
                    print(
                        "\(c.id)\t\(c.state)\ttotal \(c.counts.total)\tsent \(c.counts.sent)\tdelivered \(c.counts.delivered)\tread \(c.counts.read)\tfailed \(c.counts.failed)\tskipped \(c.counts.skipped)\twaiting \(c.counts.pending)"
                    )
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One campaign: its manifest, state and counts.")
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The campaign id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        struct Details: Encodable {
            var campaign: StatusSnapshot.CampaignLine
            var manifest: CampaignManifest
            var createdAt: String
            var sourceFile: String
            var hold: SpoolControl.Hold?
        }

        func run() async throws {
            let (home, settings) = try homeOptions.layout()
            guard let record = CampaignRecord.load(id, in: home.campaigns) else { throw ValidationError("no campaign \"\(id)\"") }
            let snapshot = await StatusSnapshot.take(home: home, settings: settings, now: Date(), campaigns: .only(id))
            guard let line = snapshot.campaigns.first(where: { $0.id == id }) else { throw ValidationError("no campaign \"\(id)\"") }
            let details = Details(
                campaign: line,
                manifest: record.manifest,
                createdAt: record.createdAt,
                sourceFile: record.sourceFile,
                hold: SpoolControl.load(spool: home.spool).campaignHolds[id]
            )
            if json {
                try printJSON(details)
            } else {
                print(
                    "\(id) [\(line.state)] \(record.manifest.name ?? "") — template \(record.manifest.template.name)/\(record.manifest.template.language), from \(record.sourceFile) at \(record.createdAt)"
                )
                let n = line.counts
                print(
                    "total \(n.total): sent \(n.sent), delivered \(n.delivered), read \(n.read), failed \(n.failed), skipped \(n.skipped), cancelled \(n.cancelled), waiting \(n.pending)"
                )
                if let hold = details.hold { print("held since \(hold.since): \(hold.reason)") }
                for (i, v) in (record.manifest.variants ?? []).enumerated() {
                    print("variant \(String(UnicodeScalar(UInt8(65 + i)))): \(v.share)% template \(v.template.name)/\(v.template.language)")
                }
                if let schedule = record.manifest.repeat {
                    print("repeats every \(schedule.every == .week ? schedule.on ?? "week" : "day") at \(schedule.at) (\(schedule.timezone))")
                    for occurrence in CampaignRecord.loadAll(in: home.campaigns) where occurrence.id.hasPrefix("\(id)--") {
                        print("occurrence \(occurrence.id): \(occurrence.phase.rawValue), \(occurrence.queued) queued")
                    }
                }
                if let earlier = record.manifest.audience.campaign {
                    print("follow-up of \(earlier): \((record.manifest.audience.outcome ?? []).joined(separator: ", "))")
                }
            }
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate and spool a manifest now, as inbox/ would (the running daemon picks the jobs up)."
        )
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The manifest (.json).") var file: String
        @Flag(help: "Print JSON.") var json = false

        struct Result: Encodable {
            var campaign: String
            var queued: Int
            var skipped: [String: Int]
            var dryRun: Bool
            var seconds: Double
        }

        func run() async throws {
            let (home, settings) = try homeOptions.layout()
            try home.create()
            let url = URL(fileURLWithPath: file)
            let started = Date()
            let manifest = try ManifestReader.read(try Data(contentsOf: url), fileName: url.lastPathComponent)
            var planner = CampaignPlanner(
                registry: try ContactRegistry(path: home.contactsDatabase),
                normalizer: try PhoneNormalizer(defaultCountry: settings.defaultCountry, allowsLetters: settings.allowVanityNumbers),
                spool: Spool(directory: home.spool),
                events: EventLogWriter(directory: home.log),
                campaignsDirectory: home.campaigns,
                templatesFile: home.templatesFile,
                mediaDirectory: home.media,
                messagingLimit: { [home, settings] in settings.messagingLimit ?? AccountState.load(home)?.messagingLimit },
                logDirectory: home.log,
                batchSize: settings.planBatchSize
            )
            let progress = TerminalProgress("planning \(manifest.id)", unit: "messages", quiet: json)
            if progress.enabled { planner.onProgress = { progress.update($0) } }
            let plan = try await planner.plan(manifest, sourceFile: url.lastPathComponent)
            progress.finish()
            try Spool.announceChange(in: home.spool)
            let result = Result(
                campaign: plan.campaign,
                queued: plan.queued,
                skipped: plan.skipped,
                dryRun: plan.dryRun,
                seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000
            )
            if json {
                try printJSON(result)
            } else {
                print(
                    "campaign \(plan.campaign): \(plan.queued) \(plan.dryRun ? "would be queued (dry run)" : "queued"), \(plan.skipped.values.reduce(0, +)) skipped in \(result.seconds) s"
                )
                for (reason, n) in plan.skipped.sorted(by: { $0.key < $1.key }) { print("  skipped \(n): \(reason)") }
            }
        }
    }

    struct Pause: ControlSubcommand {
        static let configuration = CommandConfiguration(abstract: "Stop sending a campaign's waiting messages until resumed.")
        static let action = CampaignControl.Action.pause
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The campaign ids (each changed in its own transaction).") var ids: [String]
        @Flag(help: "Print JSON.") var json = false
    }

    struct Resume: ControlSubcommand {
        static let configuration = CommandConfiguration(abstract: "Let a paused or stopped campaign send again.")
        static let action = CampaignControl.Action.resume
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The campaign ids (each changed in its own transaction).") var ids: [String]
        @Flag(help: "Print JSON.") var json = false
    }

    struct Cancel: ControlSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop a campaign's waiting messages (each logged as cancelled); sends under way finish."
        )
        static let action = CampaignControl.Action.cancel
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The campaign ids (each changed in its own transaction).") var ids: [String]
        @Flag(help: "Print JSON.") var json = false
    }

    struct RetryFailed: ControlSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "retry-failed",
            abstract: "Queue again the failed messages whose error was transient."
        )
        static let action = CampaignControl.Action.retryFailed
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The campaign ids (each changed in its own transaction).") var ids: [String]
        @Flag(help: "Print JSON.") var json = false
    }
}

/// pause, resume, cancel and retry-failed differ only in their action.
protocol ControlSubcommand: AsyncParsableCommand {
    static var action: CampaignControl.Action { get }
    var homeOptions: HomeOptions { get }
    var ids: [String] { get }
    var json: Bool { get }
}

extension ControlSubcommand {
    func run() async throws {
        let home = HomeLayout.resolve(option: homeOptions.home)
        let control = CampaignControl(
            campaignsDirectory: home.campaigns,
            spoolDirectory: home.spool,
            events: EventLogWriter(directory: home.log),
            eventsDirectory: home.log
        )
        guard !ids.isEmpty else { throw ValidationError("name at least one campaign id") }
        var results: [[String: String]] = []
        for id in ids {
            let message = try await control.perform(Self.action, campaign: id, by: "operator")
            results.append(["campaign": id, "action": Self.action.rawValue, "result": message])
            if !json { print(message) }
        }
        if json {
            if results.count == 1 { try printJSON(results[0]) } else { try printJSON(results) }
        }
    }
}
