import CloudAPI
import Contacts
import EventLog
import Foundation
import Spool
import WabulkBase

/// Turns a validated manifest into one spool job per recipient: resolves the audience, renders each
/// contact's variables (frozen now), dedups by E.164, and logs every message as queued or skipped.
public struct CampaignPlanner: Sendable {
    public let registry: ContactRegistry
    public let normalizer: PhoneNormalizer
    public let spool: Spool
    public let events: EventLogWriter
    public let campaignsDirectory: URL
    /// var/templates.json; manifests are checked against it when it exists.
    public let templatesFile: URL?
    public let now: @Sendable () -> Date

    /// Where files for media headers are kept (var/media/); nil when planning cannot use files.
    let mediaDirectory: URL?
    /// Meta's messaging limit as now known (the setting, else the account), and where the event log is to
    /// count the people in its window; nil: no forecast.
    let messagingLimit: (@Sendable () -> MessagingLimit?)?
    let logDirectory: URL?
    /// Contacts read, rendered and written per batch: memory stays the same for any audience, and the
    /// dispatcher can send a batch's jobs while the next ones are read.
    let batchSize: Int
    /// Told the messages planned so far after each batch lands in the spool (`wabulk campaign plan`'s progress).
    public var onProgress: (@Sendable (Int) -> Void)?

    public init(
        registry: ContactRegistry,
        normalizer: PhoneNormalizer,
        spool: Spool,
        events: EventLogWriter,
        campaignsDirectory: URL,
        templatesFile: URL? = nil,
        mediaDirectory: URL? = nil,
        messagingLimit: (@Sendable () -> MessagingLimit?)? = nil,
        logDirectory: URL? = nil,
        batchSize: Int = 5_000,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.batchSize = batchSize
        self.messagingLimit = messagingLimit
        self.logDirectory = logDirectory
        self.templatesFile = templatesFile
        self.mediaDirectory = mediaDirectory
        self.registry = registry
        self.normalizer = normalizer
        self.spool = spool
        self.events = events
        self.campaignsDirectory = campaignsDirectory
        self.now = now
    }

    public enum PlanError: Error, Equatable, CustomStringConvertible {
        case duplicate(id: String, firstFile: String)
        case rejected(ManifestRejection)
        case storage(String)

        public var description: String {
            switch self {
            case .duplicate(let id, let file): "campaign \"\(id)\" already exists (from \(file)); give the new one another id"
            case .rejected(let r): r.description
            case .storage(let reason): reason
            }
        }
    }

    public struct Plan: Sendable, Equatable {
        public var campaign: String
        public var queued: Int
        /// Reason → count.
        public var skipped: [String: Int]
        public var dryRun: Bool
        /// The first jobs' rendered parameters, so a receipt can show what will be sent.
        public var sample: [SpoolJob]
        /// Accepted, but staff should know (the messaging limit will spread it over days).
        public var warnings: [String] = []
        /// A follow-up: how many of the earlier campaign's people each outcome matched, and how many who
        /// replied to it were left out.
        public var outcomes: [String: Int]?
        public var repliedLeftOut: Int?
        /// A recurring campaign: when its first occurrence is planned.
        public var nextOccurrence: String?
    }

    /// `excludingPhones`: people this plan leaves out (a recurring campaign's last occurrence reached them);
    /// `heldOutOf`: only the people an A/B test held out (its rest, planned with the winner).
    public func plan(
        _ manifest: CampaignManifest,
        sourceFile: String,
        excludingPhones: Set<String> = [],
        heldOutOf: (campaign: String, holdout: Int)? = nil
    ) async throws(PlanError) -> Plan {
        let existing = CampaignRecord.load(manifest.id, in: campaignsDirectory)
        if let existing, existing.phase != .planning {
            throw .duplicate(id: manifest.id, firstFile: existing.sourceFile)
        }
        let catalog = templatesFile.flatMap(TemplateCatalog.load)
        // One choice per variant of an A/B test (else the manifest's own template), each checked against the
        // template list; a category unknown without a list counts as marketing for the opt-out rule.
        var problems: [ManifestProblem] = []
        var choices: [PlanBatches.Choice] = []
        for (i, variant) in (manifest.variants ?? [.init(template: manifest.template, variables: manifest.variables, share: 100)]).enumerated() {
            let template = catalog?.templates.first { $0.name == variant.template.name && $0.language == variant.template.language }
            var checked = manifest
            checked.template = variant.template
            checked.variables = variant.variables
            let found = catalog?.problems(for: checked) ?? []
            problems += manifest.variants == nil ? found : found.map { .init(field: "variants[\(i)].\($0.field)", reason: $0.reason) }
            choices.append(
                .init(template: variant.template, rendering: VariableRendering(variant.variables, template: template), category: template?.category)
            )
        }
        if manifest.audience.phones == nil, let tags = manifest.audience.tags?.map(ContactRegistry.tagKey) {
            let known: Set<String>
            do { known = try registry.knownTags(tags) } catch { throw .storage("\(error)") }
            for tag in tags where !known.contains(tag) {
                problems.append(.init(field: "audience.tags", reason: "no contact has the tag \"\(tag)\""))
            }
        }
        for variant in manifest.variants ?? [] { problems += mediaProblems(variant.variables?.header) }
        problems += mediaProblems(manifest.variables?.header)
        var followUp: FollowUpAudience.Resolution?
        if let earlier = manifest.audience.campaign {
            if earlier == manifest.id || CampaignRecord.load(earlier, in: campaignsDirectory) == nil {
                problems.append(.init(field: "audience.campaign", reason: "there is no earlier campaign \"\(earlier)\""))
            } else if let logDirectory {
                if existing != nil, let saved = FollowUpAudience.load(id: manifest.id, in: campaignsDirectory) {
                    followUp = .init(phones: saved, matched: [:], replied: 0)
                } else {
                    followUp = FollowUpAudience.resolve(
                        campaign: earlier,
                        outcomes: (manifest.audience.outcome ?? []).compactMap(FollowUpAudience.Outcome.init(rawValue:)),
                        olderThan: manifest.audience.after.flatMap(FollowUpAudience.duration),
                        excludeReplied: manifest.audience.excludeReplied ?? true,
                        logDirectory: logDirectory,
                        now: now()
                    )
                }
            } else {
                problems.append(.init(field: "audience.campaign", reason: "follow-ups need the event log"))
            }
        }
        if !problems.isEmpty { throw .rejected(ManifestRejection(problems: problems)) }

        // A trigger campaign records who is in its audience now, those who enter it later are greeted; a
        // recurring one is only recorded, each occurrence planned when it comes.
        if manifest.trigger != nil || manifest.repeat != nil {
            do {
                if manifest.trigger != nil { try TriggerCampaigns.saveKnown(try audiencePhones(manifest), id: manifest.id, in: campaignsDirectory) }
                try CampaignRecord(
                    manifest: manifest,
                    phase: manifest.trigger != nil ? .greeting : .recurring,
                    createdAt: Timestamp.format(now()),
                    sourceFile: sourceFile,
                    queued: 0,
                    skipped: [:]
                )
                .save(in: campaignsDirectory)
            } catch { throw .storage("\(error)") }
            var plan = Plan(campaign: manifest.id, queued: 0, skipped: [:], dryRun: false, sample: [])
            plan.nextOccurrence = manifest.repeat.flatMap { RecurringCampaigns.next($0, after: now()) }.map(Timestamp.format)
            return plan
        }

        let batches = PlanBatches(
            manifest: manifest,
            reader: AudienceReader(
                manifest.audience,
                registry: registry,
                normalizer: normalizer,
                batchSize: batchSize,
                resolved: followUp?.phones,
                excludingPhones: excludingPhones
            ),
            choices: choices,
            heldOutOf: heldOutOf,
            now: now
        )
        let dryRun = manifest.dryRun == true
        // A record still planning is a crash's leftover: go on after the last batch that landed.
        var stored: PlanProgress?
        if existing != nil {
            do { stored = try await spool.planProgress(campaign: manifest.id) } catch { throw .storage("\(error)") }
        }
        let resumed = stored != nil
        var progress = stored ?? PlanProgress(campaign: manifest.id)

        // Read ahead to the first message before anything is written: an audience that reaches no one is
        // refused, not recorded as an empty campaign.
        var pending: [PlanBatches.Batch] = []
        var warnings: [String] = []
        if !resumed {
            var lookahead = progress
            repeat {
                let batch: PlanBatches.Batch
                do { batch = try batches.next(after: lookahead) } catch { throw .storage("\(error)") }
                lookahead = batch.progress
                pending.append(batch)
            } while pending.allSatisfy({ $0.jobs.isEmpty }) && !lookahead.finished
            if pending.allSatisfy({ $0.jobs.isEmpty }) {
                var reason = "matches no contact that can be messaged"
                if let followUp {
                    reason += " (\(Self.describe(followUp)))"
                }
                throw .rejected(ManifestRejection(problems: [.init(field: "audience", reason: reason)]))
            }
            if let forecast = await forecast(batches), !forecast.fits {
                let start = manifest.startAt.flatMap(Timestamp.parse)
                let explanation = forecast.explanation(startingAt: max(start ?? now(), now()))
                if manifest.onLimit == .refuse {
                    throw .rejected(ManifestRejection(problems: [.init(field: "onLimit", reason: explanation + "; refused as onLimit is refuse")]))
                }
                warnings.append(explanation)
            }
        }
        let sample = Array(pending.flatMap(\.jobs).prefix(3))

        if dryRun {
            // Counted, never written.
            var counted = pending.last?.progress ?? progress
            do {
                while !counted.finished { counted = try batches.next(after: counted, encoded: false).progress }
                try CampaignRecord(
                    manifest: manifest,
                    phase: .dryRun,
                    createdAt: Timestamp.format(now()),
                    sourceFile: sourceFile,
                    queued: counted.jobs,
                    skipped: counted.skipped
                ).save(in: campaignsDirectory)
            } catch {
                throw .storage("\(error)")
            }
            var plan = Plan(campaign: manifest.id, queued: counted.jobs, skipped: counted.skipped, dryRun: true, sample: sample, warnings: warnings)
            plan.outcomes = followUp?.matched
            plan.repliedLeftOut = followUp?.replied
            return plan
        }

        do {
            // A follow-up's people are kept before planning starts, so a resumed plan walks the same list.
            if let followUp, existing == nil { try FollowUpAudience.save(followUp.phones, id: manifest.id, in: campaignsDirectory) }
            if !resumed {
                try CampaignRecord(
                    manifest: manifest,
                    phase: .planning,
                    createdAt: Timestamp.format(now()),
                    sourceFile: sourceFile,
                    queued: 0,
                    skipped: [:]
                ).save(in: campaignsDirectory)
            }
            // Three stages at once: the batch after next is read and rendered on another thread, the next
            // batch's lines are logged, and this batch is spooled. Each batch is logged before it is spooled
            // (a message spooled but never logged would be invisible to reports); a crash between the two
            // logs it again on the next start, under the same job ids.
            let reading = { (after: PlanProgress) in Task.detached { try batches.next(after: after) } }
            var upcoming = pending.isEmpty && !progress.finished ? reading(progress) : nil
            func nextBatch() async throws -> PlanBatches.Batch {
                let batch = pending.isEmpty ? try await upcoming!.value : pending.removeFirst()
                if pending.isEmpty && !batch.progress.finished { upcoming = reading(batch.progress) }
                return batch
            }
            if !progress.finished {
                var current = try await nextBatch()
                try await events.append(current.lines, durable: true)
                while true {
                    let next = current.progress.finished ? nil : try await nextBatch()
                    let (rows, reached, lines) = (current.rows, current.progress, next?.lines ?? [])
                    async let spooled = spool.enqueue(rows, progress: reached)
                    async let logged: Void = events.append(lines, durable: true)
                    let landed = try await spooled
                    try await logged
                    guard landed else {
                        // Cancelled meanwhile: the lines logged for jobs that were never spooled are closed.
                        try await events.append(cancelledLines(current.jobs + (next?.jobs ?? [])), durable: true)
                        break
                    }
                    progress = current.progress
                    onProgress?(progress.jobs)
                    guard let next else { break }
                    current = next
                }
            }
            upcoming?.cancel()
            // A cancel that came in while the jobs were written stays cancelled.
            try CampaignRecord.update(manifest.id, in: campaignsDirectory) { record in
                record.queued = progress.jobs
                record.skipped = progress.skipped
                if record.phase == .planning { record.phase = .spooled }
            }
        } catch {
            throw .storage("\(error)")
        }
        var plan = Plan(campaign: manifest.id, queued: progress.jobs, skipped: progress.skipped, dryRun: false, sample: sample, warnings: warnings)
        if existing == nil {
            plan.outcomes = followUp?.matched
            plan.repliedLeftOut = followUp?.replied
        }
        return plan
    }

    /// "of diwali: 40 delivered-not-read, 12 sent-not-delivered; 3 who replied left out"
    static func describe(_ f: FollowUpAudience.Resolution) -> String {
        let counts = FollowUpAudience.Outcome.allCases.compactMap { o in f.matched[o.rawValue].map { "\($0) \(o.rawValue)" } }
        return (counts.isEmpty ? "no message of that campaign ended that way" : counts.joined(separator: ", "))
            + (f.replied > 0 ? "; \(f.replied) who replied left out" : "")
    }

    /// Every number the manifest's audience (tags or all, less excluded tags) holds now.
    func audiencePhones(_ manifest: CampaignManifest) throws -> Set<String> {
        let reader = AudienceReader(manifest.audience, registry: registry, normalizer: normalizer, batchSize: batchSize)
        var phones = Set<String>()
        var cursor: String?
        repeat {
            let batch = try reader.batch(after: cursor)
            for c in batch.contacts { phones.insert(c.phone) }
            cursor = batch.cursor
        } while cursor != nil
        return phones
    }

    /// `cancelled` lines for jobs logged as queued that a cancel kept out of the spool.
    func cancelledLines(_ jobs: [SpoolJob]) -> [MessageEvent] {
        let stamp = now()
        return jobs.map {
            MessageEvent(
                time: stamp,
                status: .cancelled,
                campaign: $0.campaign,
                job: $0.id,
                phone: $0.phone,
                reason: "cancelled while it was being planned",
                source: EventSource.control.rawValue
            )
        }
    }

    /// The limit's bearing on the campaign, when a limit is known (and not unlimited): the audience is read
    /// once more, counting the people it adds to the 24-hour window.
    func forecast(_ batches: PlanBatches) async -> LimitForecast? {
        guard let limit = messagingLimit?()?.people, let logDirectory else { return nil }
        let now = now()
        let window = Set(
            EventLogReader(directory: logDirectory).messagesSent(since: now.addingTimeInterval(-MessagingBudget.window), until: now).map(\.phone)
        )
        let waiting = ((try? await spool.waitingPhones()) ?? []).subtracting(window)
        // Someone another campaign is waiting to reach costs this one nothing more.
        var mine = 0
        var progress = PlanProgress(campaign: batches.manifest.id)
        while !progress.finished {
            guard let batch = try? batches.next(after: progress, encoded: false) else { return nil }
            mine += batch.jobs.count { !window.contains($0.phone) && !waiting.contains($0.phone) }
            progress = batch.progress
        }
        return LimitForecast(limit: limit, used: window.count, ahead: waiting.count, newPeople: mine)
    }

    /// A contact the campaign will not message, and why; `suppressed` when the opt-out rule stops it.
    struct Skip: Sendable {
        var contact: Contact
        var reason: String
        var suppressed = false
    }

    /// Why the campaign may not message this contact (removed, opted out, a US number for marketing); nil
    /// when it may.
    static func unreachable(_ c: Contact, category: String?) -> Skip? {
        if !c.active { return Skip(contact: c, reason: "removed from contacts", suppressed: true) }
        if !c.isReachable(category: category) {
            return Skip(contact: c, reason: c.optOutScope == .marketing ? "opted out of marketing" : "opted out", suppressed: true)
        }
        // Meta has not delivered marketing templates to US numbers since 1 April 2025: each would fail at Meta.
        if category?.uppercased() == "MARKETING", c.phone.hasPrefix("+1"), PhoneNormalizer.region(ofE164: c.phone) == "US" {
            return Skip(contact: c, reason: usMarketingReason)
        }
        return nil
    }

    static let usMarketingReason = "US number: Meta does not deliver marketing templates to US (+1) numbers"

    /// A media header naming a file: the file must be one staff dropped (a plain name, kept in var/media/) of
    /// the type and size the header takes.
    func mediaProblems(_ header: CampaignManifest.Variables.Header?) -> [ManifestProblem] {
        guard case .media(let kind, .file(let name), _)? = header else { return [] }
        let field = "variables.header.\(kind.rawValue)"
        guard !name.contains("/"), !name.hasPrefix("."), !name.isEmpty else {
            return [
                .init(
                    field: field,
                    reason: "\"\(name)\" is not a file name: give the name of a file dropped into inbox/, an https:// link or a media id"
                )
            ]
        }
        guard let mediaDirectory else { return [.init(field: field, reason: "files cannot be used here: give an https:// link or a media id")] }
        let url = mediaDirectory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            if let refused = MediaRefusals.reason(for: name, in: mediaDirectory) { return [.init(field: field, reason: "was refused: \(refused)")] }
            return [.init(field: field, reason: "no file \"\(name)\" was dropped into inbox/ (drop it with the manifest, or give an https:// link)")]
        }
        switch MediaFile.inspect(url) {
        case .failure(let problem): return [.init(field: field, reason: "\(name) \(problem.description)")]
        case .success(let file) where file.kind != kind:
            return [.init(field: field, reason: "\(name) \(MediaFile.Problem.wrongKind(contentType: file.contentType, expected: kind).description)")]
        case .success: return []
        }
    }
}
