import Campaigns
import Contacts
import Foundation
import Logging
import ServiceLifecycle
import ShareLinks
import Templates
import WabulkBase

/// Takes each file dropped into inbox/ exactly once: waits until its size and modification time have
/// not changed for the settle time, moves it into var/intake/ (so a crash resumes it), processes it,
/// writes its receipt, and archives the original under outbox/archive/YYYY-MM-DD/.
public final class InboxWatcher: Service, Sendable {
    private let home: HomeLayout
    private let importer: ContactImporter
    private let planner: CampaignPlanner
    private let control: CampaignControl
    private let optOuts: OptOutRecorder
    private let scanInterval: Duration
    private let settle: TimeInterval
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let sightings = SightingBook()

    public init(
        home: HomeLayout,
        importer: ContactImporter,
        planner: CampaignPlanner,
        optOuts: OptOutRecorder,
        control: CampaignControl,
        scanInterval: Duration,
        settleSeconds: TimeInterval,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.home = home
        self.optOuts = optOuts
        self.importer = importer
        self.planner = planner
        self.control = control
        self.scanInterval = scanInterval
        self.settle = settleSeconds
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        await resumeInterrupted()
        let watch = InotifyWatch(path: home.inbox.path)
        defer { watch?.stop() }
        let clock = ContinuousClock()
        var nextScan = clock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if clock.now >= nextScan || watch?.takeChange() == true || sightings.settlesBy(now(), settle: settle) {
                await scanOnce()
                nextScan = clock.now + scanInterval
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Files a crash left in var/intake/: processed again (contacts imports are idempotent by fingerprint).
    func resumeInterrupted() async {
        CrashMark.install(intake: home.intake)
        let attempts = IntakeAttempts(intake: home.intake)
        if let crashed = CrashMark.take(intake: home.intake) {
            do { try attempts.record(crashed) } catch {
                logger.error("inbox: the crash of \(crashed) could not be counted (\(error)); it will be tried again")
            }
            logger.error(
                "inbox: the daemon crashed while processing \(crashed) (\(attempts.taken(crashed)) time\(attempts.taken(crashed) == 1 ? "" : "s"))"
            )
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: home.intake.path)) ?? []).filter { !$0.hasPrefix(".") }
        for name in names.sorted(by: { InboxFile.kind(of: $0) < InboxFile.kind(of: $1) }) {
            logger.notice("inbox: finishing \(name), interrupted by a stop", metadata: ["file": "\(name)"])
            await process(home.intake.appendingPathComponent(name), resumed: true)
        }
    }

    /// One pass over inbox/: takes every file that has settled.
    public func scanOnce() async {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: home.inbox.path)) ?? []).filter { !InboxFile.isIgnored($0) }
        var ready: [URL] = []
        let current = now()
        for name in names {
            let url = home.inbox.appendingPathComponent(name)
            // Links are taken too (renamed as links, never followed), so they get a receipt instead of lingering.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                [.typeRegular, .typeSymbolicLink].contains(attributes[.type] as? FileAttributeType)
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let mtime = (attributes[.modificationDate] as? Date) ?? .distantPast
            if sightings.isSettled(name: name, size: size, mtime: mtime, now: current, settle: settle) { ready.append(url) }
        }
        sightings.forget(except: Set(names))
        for url in ready.sorted(by: {
            (InboxFile.kind(of: $0.lastPathComponent), $0.lastPathComponent) < (InboxFile.kind(of: $1.lastPathComponent), $1.lastPathComponent)
        }) {
            sightings.forget(url.lastPathComponent)
            do {
                let taken = try AtomicFile.moveKeepingBoth(url, into: home.intake)
                await process(taken)
            } catch {
                logger.error("inbox: cannot take \(url.lastPathComponent): \(error)")
            }
        }
    }

    /// What happens to a file once its receipt is written.
    private enum Disposition { case archive, remove, quarantine }

    /// How many crashes in a file's processing set it aside: it would otherwise be tried first on every start,
    /// and the daemon (listener and sending with it) would never come back.
    static let maxCrashes = 2

    private func process(_ file: URL, resumed: Bool = false) async {
        let name = file.lastPathComponent
        logger.info("inbox: processing \(name)", metadata: ["file": "\(name)"])
        var receipt: Receipt
        var errorsCSV: Data?
        var disposition = Disposition.archive
        let attempts = IntakeAttempts(intake: home.intake)
        if let refusal = InboxFile.refusalToRead(file) {
            receipt = Receipt(file: name, kind: .unknown, outcome: .rejected, message: refusal, processedAt: now())
            disposition = .remove
        } else if attempts.taken(name) >= Self.maxCrashes {
            receipt = Receipt(
                file: name,
                kind: .unknown,
                outcome: .rejected,
                message:
                    "processing this file crashed wabulk \(Self.maxCrashes) times; it was set aside in rejected/ and not tried again (please tell the operator)",
                processedAt: now()
            )
            disposition = .quarantine
        } else {
            // A crash while it is processed names this file (CrashMark); a kill does not.
            CrashMark.begin(name)
            defer { CrashMark.end() }
            switch InboxFile.kind(of: name) {
            case .contacts:
                (receipt, errorsCSV) = await importContacts(file, resumed: resumed)
                // Refused whole (crafted, oversized, unreadable): set aside where staff look for what needs them.
                if receipt.outcome == .rejected { disposition = .quarantine }
            case .manifest:
                switch InboxRequest.read(file) {
                case .control(let request): receipt = await applyControl(request, file: name)
                case .share(let object): receipt = makeShareLink(object, file: name)
                case .manifest(let object): receipt = await planCampaign(object, file: name, resumed: resumed)
                case .unreadable(let reason):
                    var r = Receipt(
                        file: name,
                        kind: .campaign,
                        outcome: .rejected,
                        message: "the manifest was rejected; nothing was sent",
                        processedAt: now()
                    )
                    r.problems = [ManifestProblem(field: "(file)", reason: reason)]
                    receipt = r
                }
            case .unknown:
                receipt = Receipt(
                    file: name,
                    kind: .unknown,
                    outcome: .rejected,
                    message: "not a file wabulk reads: drop .csv, .tsv, .txt or .xlsx contacts, or a .json campaign manifest",
                    processedAt: now()
                )
            }
        }
        do {
            let base: String
            switch disposition {
            case .archive, .quarantine:
                let folder = disposition == .archive ? home.archive.appendingPathComponent(Timestamp.day(now()), isDirectory: true) : home.rejected
                let moved = try AtomicFile.moveKeepingBoth(file, into: folder)
                receipt.archivedAs =
                    disposition == .archive ? "archive/\(folder.lastPathComponent)/\(moved.lastPathComponent)" : "rejected/\(moved.lastPathComponent)"
                base = moved.lastPathComponent
            case .remove:
                // Not archived: a link in outbox/ would hand staff whatever it points at. Only the name goes.
                _ = unlink(file.path)
                base = name
            }
            if let errorsCSV {
                receipt.errorsFile = "\(base).errors.csv"
                try AtomicFile.write(errorsCSV, to: home.receipts.appendingPathComponent("\(base).errors.csv"))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try encoder.encode(receipt), to: home.receipts.appendingPathComponent("\(base).receipt.json"))
            attempts.forget(name)
            logger.info("inbox: \(name): \(receipt.outcome.rawValue): \(receipt.message)", metadata: ["file": "\(name)"])
        } catch {
            logger.error("inbox: cannot file the receipt for \(name): \(error)", metadata: ["file": "\(name)"])
        }
    }

    /// A share request becomes outbox/share/<name>.txt/.png/.svg/.html; its receipt carries the link.
    private func makeShareLink(_ object: [String: Any], file name: String) -> Receipt {
        do throws(ShareError) {
            let request = try ShareRequest.read(object: object)
            let templates = (try? TemplateCache.load(home.templatesFile))??.data ?? []
            let link = ShareLink(text: try request.text(templates: templates), phoneDigits: try request.phoneDigits(normalizer: importer.normalizer))
            let base = request.name ?? URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
            let output = try ShareOutput.write(link, name: base, into: home.share)
            var receipt = Receipt(
                file: name,
                kind: .share,
                outcome: .accepted,
                message: "share link ready: " + output.files.map { "share/\($0)" }.joined(separator: ", "),
                processedAt: now()
            )
            receipt.shareLink = output.link
            return receipt
        } catch {
            return Receipt(file: name, kind: .share, outcome: .rejected, message: error.description, processedAt: now())
        }
    }

    private func importContacts(_ file: URL, resumed: Bool) async -> (Receipt, Data?) {
        let name = file.lastPathComponent
        do {
            let result = try importer.importFile(file, now: now)
            let s = result.summary
            // An opt-out file's numbers stop in the spool too: their waiting messages are dropped now.
            var dropped = 0
            if !result.optedOut.isEmpty {
                let stamp = now()
                do {
                    dropped = try await optOuts.record(
                        result.optedOut.map { PreferenceChange(phone: $0, optedOut: true, source: "file \(name)", at: stamp) }
                    )
                    .dropped.count
                } catch {
                    logger.error(
                        "inbox: \(name): opt-outs recorded in the registry, not yet in the spool: \(error) (done at the next start)",
                        metadata: ["file": "\(name)"]
                    )
                }
            }
            let counts =
                "\(s.rowsRead) rows read: \(s.inserted) new, \(s.updated) updated, \(s.duplicatesInFile) duplicates in the file, \(s.rejected) rejected"
                + (s.optedOut > 0 ? ", \(s.optedOut) opted out" : "") + (s.skippedOptedOut > 0 ? ", \(s.skippedOptedOut) skipped as opted out" : "")
                + (dropped > 0 ? ", \(dropped) waiting messages to them will not be sent" : "")
            // A file resumed after a stop may have committed just before it: its stored counts are its own.
            let message =
                !result.alreadyImported
                ? counts
                : resumed ? counts + " (finished after a restart)" : "this exact file was imported before; nothing changed"
            var receipt = Receipt(file: name, kind: .contacts, outcome: .imported, message: message, processedAt: now())
            receipt.contacts = s
            return (receipt, result.rejected.isEmpty ? nil : ErrorsCSV.render(result.rejected))
        } catch {
            return (Receipt(file: name, kind: .contacts, outcome: .rejected, message: "\(error)", processedAt: now()), nil)
        }
    }

    private func applyControl(_ request: ControlRequest, file name: String) async -> Receipt {
        if request.action == "optout" || request.action == "opt-out" { return await applyOptOut(request, file: name) }
        guard let campaign = request.campaign, let actionText = request.action,
            let action = CampaignControl.Action(rawValue: actionText)
        else {
            return Receipt(
                file: name,
                kind: .control,
                outcome: .rejected,
                message:
                    "a control file needs {\"campaign\": \"ID\", \"action\": \"pause\" | \"resume\" | \"cancel\" | \"retry-failed\"} or {\"action\": \"optout\", \"phones\": [\"+91…\"]}",
                processedAt: now()
            )
        }
        do {
            let message = try await control.perform(action, campaign: campaign, by: "control file \(name)")
            return Receipt(file: name, kind: .control, outcome: .accepted, message: message, processedAt: now())
        } catch {
            return Receipt(file: name, kind: .control, outcome: .rejected, message: error.description, processedAt: now())
        }
    }

    /// `{"action": "optout", "phones": ["+91 98765 43210", …]}`: staff record opt-outs they were told of.
    private func applyOptOut(_ request: ControlRequest, file name: String) async -> Receipt {
        let given = request.phones ?? []
        guard !given.isEmpty, given.count <= ControlRequest.maxPhones else {
            return Receipt(
                file: name,
                kind: .control,
                outcome: .rejected,
                message: given.isEmpty
                    ? "an optout control file needs \"phones\": [\"+91…\", …]"
                    : "an optout control file takes at most \(ControlRequest.maxPhones) numbers (\(given.count) given); drop an optout….csv file for more",
                processedAt: now()
            )
        }
        var phones: [String] = []
        var problems: [ManifestProblem] = []
        for (i, raw) in given.enumerated() {
            switch importer.normalizer.normalize(raw) {
            case .valid(let e164): if !phones.contains(e164) { phones.append(e164) }
            case .invalid(let reason): problems.append(.init(field: "phones[\(i)]", reason: "\(String(raw.prefix(40))): \(reason)"))
            }
        }
        let stamp = now()
        do {
            let outcome = try await optOuts.record(
                phones.map { PreferenceChange(phone: $0, optedOut: true, source: "control file \(name)", at: stamp) }
            )
            var message = "\(phones.count) numbers opted out; \(outcome.dropped.count) waiting messages will not be sent"
            if !outcome.inFlight.isEmpty {
                message += "; \(outcome.inFlight.count) already on their way (\(outcome.inFlight.map(\.id).joined(separator: ", ")))"
            }
            if !problems.isEmpty { message += "; \(problems.count) numbers not understood" }
            var receipt = Receipt(file: name, kind: .control, outcome: .accepted, message: message, processedAt: now())
            receipt.problems = problems.isEmpty ? nil : problems
            return receipt
        } catch {
            return Receipt(file: name, kind: .control, outcome: .failed, message: "could not record the opt-outs: \(error)", processedAt: now())
        }
    }

    private func planCampaign(_ object: [String: Any], file name: String, resumed: Bool) async -> Receipt {
        let rejected = { (problems: [ManifestProblem], message: String) -> Receipt in
            var r = Receipt(file: name, kind: .campaign, outcome: .rejected, message: message, processedAt: self.now())
            r.problems = problems
            return r
        }
        let manifest: CampaignManifest
        do throws(ManifestRejection) {
            manifest = try ManifestReader.read(object: object, fileName: name)
        } catch {
            return rejected(error.problems, "the manifest was rejected; nothing was sent")
        }
        do {
            let plan = try await planner.plan(manifest, sourceFile: name)
            let skipped = plan.skipped.values.reduce(0, +)
            var receipt = Receipt(
                file: name,
                kind: .campaign,
                outcome: .accepted,
                message: plan.dryRun
                    ? "dry run: \(plan.queued) would be sent, \(skipped) skipped; nothing was sent"
                    : "campaign \(plan.campaign): \(plan.queued) messages queued, \(skipped) skipped",
                processedAt: now()
            )
            receipt.campaign = .init(id: plan.campaign, queued: plan.queued, skipped: plan.skipped, dryRun: plan.dryRun)
            return receipt
        } catch {
            switch error {
            case .rejected(let r): return rejected(r.problems, "the manifest was rejected; nothing was sent")
            case .duplicate(let id, let firstFile):
                // A restart after planning finished but before the receipt: this is the same file, already planned.
                if resumed, firstFile == name, let record = CampaignRecord.load(id, in: home.campaigns) {
                    var receipt = Receipt(
                        file: name,
                        kind: .campaign,
                        outcome: .accepted,
                        message:
                            "campaign \(id): \(record.queued) messages queued, \(record.skipped.values.reduce(0, +)) skipped (finished after a restart)",
                        processedAt: now()
                    )
                    receipt.campaign = .init(id: id, queued: record.queued, skipped: record.skipped, dryRun: record.phase == .dryRun)
                    return receipt
                }
                return rejected([.init(field: "id", reason: error.description)], "the manifest was refused; nothing was sent")
            case .storage(let reason):
                var r = Receipt(file: name, kind: .campaign, outcome: .failed, message: "could not plan the campaign: \(reason)", processedAt: now())
                r.campaign = .init(id: manifest.id, queued: 0, skipped: [:], dryRun: false)
                return r
            }
        }
    }
}
