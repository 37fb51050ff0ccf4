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
    let home: HomeLayout
    let importer: ContactImporter
    let planner: CampaignPlanner
    let control: CampaignControl
    let optOuts: OptOutRecorder
    let scanInterval: Duration
    let settle: TimeInterval
    let logger: Logger
    let now: @Sendable () -> Date
    let sightings = SightingBook()

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
    /// `kept`: moved into var/media/ by the step that read it (a 100 MB document is not copied to the archive).
    enum Disposition {
        case archive, remove, quarantine
        case kept(String)
    }

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
            case .media:
                (receipt, disposition) = keepMedia(file)
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
            case .archive:
                let folder = home.archive.appendingPathComponent(Timestamp.day(now()), isDirectory: true)
                let moved = try AtomicFile.moveKeepingBoth(file, into: folder)
                receipt.archivedAs = "archive/\(folder.lastPathComponent)/\(moved.lastPathComponent)"
                base = moved.lastPathComponent
            case .quarantine:
                let moved = try AtomicFile.moveKeepingBoth(file, into: home.rejected)
                receipt.archivedAs = "rejected/\(moved.lastPathComponent)"
                base = moved.lastPathComponent
            case .kept(let name):
                base = name
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
}
