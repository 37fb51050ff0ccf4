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
        now: @escaping @Sendable () -> Date = Date.init
    ) {
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
    }

    public func plan(_ manifest: CampaignManifest, sourceFile: String) async throws(PlanError) -> Plan {
        if let existing = CampaignRecord.load(manifest.id, in: campaignsDirectory), existing.phase != .planning {
            throw .duplicate(id: manifest.id, firstFile: existing.sourceFile)
        }
        let contacts: [Contact]
        do { contacts = try registry.all() } catch { throw .storage("\(error)") }
        let catalog = templatesFile.flatMap(TemplateCatalog.load)
        // Unknown without a template list: a marketing-only opt-out then keeps the contact out too.
        let category = catalog?.templates.first { $0.name == manifest.template.name && $0.language == manifest.template.language }?.category
        var (recipients, skippedContacts, problems) = resolve(manifest.audience, contacts: contacts, category: category)
        if let catalog {
            problems = catalog.problems(for: manifest) + problems
        }
        problems += mediaProblems(manifest.variables?.header)
        if !problems.isEmpty { throw .rejected(ManifestRejection(problems: problems)) }

        let start = manifest.startAt.flatMap(Timestamp.parse)
        let window = manifest.sendWindow.flatMap { SendWindowSchedule(from: $0.from, to: $0.to, timezone: $0.timezone) }
        var jobs: [SpoolJob] = []
        var skipped: [Skip] = skippedContacts
        let rendering = VariableRendering(
            manifest.variables,
            template: catalog?.templates.first { $0.name == manifest.template.name && $0.language == manifest.template.language }
        )
        for contact in recipients {
            switch rendering.parameters(for: contact) {
            case .success(let parameters):
                let template = SpoolJob.Template(
                    name: manifest.template.name,
                    language: manifest.template.language,
                    parameters: parameters,
                    category: category
                )
                jobs.append(
                    SpoolJob(
                        campaign: manifest.id,
                        sequence: jobs.count + 1,
                        phone: contact.phone,
                        name: contact.name,
                        template: template,
                        notBefore: start,
                        campaignRate: manifest.rate,
                        window: window
                    )
                )
            case .failure(let missing):
                skipped.append(Skip(contact: contact, reason: "no value for {\(missing.field)}"))
            }
        }
        var counts: [String: Int] = [:]
        for skip in skipped { counts[skip.reason, default: 0] += 1 }
        let dryRun = manifest.dryRun == true
        var warnings: [String] = []
        if let forecast = await forecast(jobs), !forecast.fits {
            let explanation = forecast.explanation(startingAt: max(start ?? now(), now()))
            if manifest.onLimit == .refuse {
                throw .rejected(ManifestRejection(problems: [.init(field: "onLimit", reason: explanation + "; refused as onLimit is refuse")]))
            }
            warnings.append(explanation)
        }
        let record = CampaignRecord(
            manifest: manifest,
            phase: dryRun ? .dryRun : .planning,
            createdAt: Timestamp.format(now()),
            sourceFile: sourceFile,
            queued: jobs.count,
            skipped: counts
        )
        do {
            if dryRun {
                try record.save(in: campaignsDirectory)
                return Plan(
                    campaign: manifest.id,
                    queued: jobs.count,
                    skipped: counts,
                    dryRun: true,
                    sample: Array(jobs.prefix(3)),
                    warnings: warnings
                )
            }
            try record.save(in: campaignsDirectory)
            let stamp = now()
            var lines = jobs.map {
                MessageEvent(
                    time: stamp,
                    status: .queued,
                    campaign: $0.campaign,
                    job: $0.id,
                    phone: $0.phone,
                    name: $0.name,
                    source: EventSource.campaign.rawValue
                )
            }
            for (i, skip) in skipped.enumerated() {
                lines.append(
                    MessageEvent(
                        time: stamp,
                        status: .skipped,
                        campaign: manifest.id,
                        job: "\(manifest.id).skip-\(i + 1)",
                        phone: skip.contact.phone,
                        name: skip.contact.name,
                        reason: skip.reason,
                        // A number not to message is skipped by the opt-out rule; the report counts those by it.
                        source: (skip.suppressed ? EventSource.optOut : EventSource.campaign).rawValue
                    )
                )
            }
            // Events first: a message spooled but never logged would be invisible to reports.
            try await events.append(lines, durable: true)
            try await spool.enqueue(jobs)
            // A cancel that came in while the jobs were written stays cancelled.
            try CampaignRecord.update(manifest.id, in: campaignsDirectory) { if $0.phase == .planning { $0.phase = .spooled } }
        } catch {
            throw .storage("\(error)")
        }
        return Plan(campaign: manifest.id, queued: jobs.count, skipped: counts, dryRun: false, sample: Array(jobs.prefix(3)), warnings: warnings)
    }

    /// The limit's bearing on these jobs, when a limit is known (and not unlimited).
    func forecast(_ jobs: [SpoolJob]) async -> LimitForecast? {
        guard let limit = messagingLimit?()?.people, let logDirectory, !jobs.isEmpty else { return nil }
        let now = now()
        let window = Set(
            EventLogReader(directory: logDirectory).messagesSent(since: now.addingTimeInterval(-MessagingBudget.window), until: now).map(\.phone)
        )
        let waiting = ((try? await spool.waitingPhones()) ?? []).subtracting(window)
        // Someone another campaign is waiting to reach costs this one nothing more.
        let mine = Set(jobs.map(\.phone)).subtracting(window).subtracting(waiting)
        return LimitForecast(limit: limit, used: window.count, ahead: waiting.count, newPeople: mine.count)
    }

    /// A contact the campaign will not message, and why; `suppressed` when the opt-out rule stops it.
    struct Skip {
        var contact: Contact
        var reason: String
        var suppressed = false
    }

    /// Who the audience names: reachable contacts to message, unreachable ones to count as skipped,
    /// and problems that make the manifest unusable (no one matched, unknown tags).
    func resolve(
        _ audience: CampaignManifest.Audience,
        contacts: [Contact],
        category: String? = nil
    ) -> ([Contact], [Skip], [ManifestProblem]) {
        var problems: [ManifestProblem] = []
        let exclude = Set((audience.excludeTags ?? []).map { $0.lowercased() })
        var matched: [Contact] = []
        var skipped: [Skip] = []
        if let phones = audience.phones {
            let byPhone = Dictionary(contacts.map { ($0.phone, $0) }, uniquingKeysWith: { a, _ in a })
            var seen = Set<String>()
            for raw in phones {
                switch normalizer.normalize(raw) {
                case .valid(let e164):
                    guard seen.insert(e164).inserted else { continue }
                    matched.append(byPhone[e164] ?? Contact(phone: e164))
                case .invalid(let reason):
                    skipped.append(Skip(contact: Contact(phone: raw), reason: "invalid number: \(reason)"))
                }
            }
        } else if let tags = audience.tags {
            let wanted = tags.map { $0.lowercased() }
            let known = Set(contacts.flatMap { $0.tags.map { $0.lowercased() } })
            for tag in wanted where !known.contains(tag) {
                problems.append(.init(field: "audience.tags", reason: "no contact has the tag \"\(tag)\""))
            }
            for c in contacts {
                let has = Set(c.tags.map { $0.lowercased() })
                let ok = audience.match == .all ? wanted.allSatisfy(has.contains) : wanted.contains(where: has.contains)
                if ok { matched.append(c) }
            }
        } else {
            matched = contacts
        }
        var recipients: [Contact] = []
        for c in matched {
            if !exclude.isEmpty, c.tags.contains(where: { exclude.contains($0.lowercased()) }) { continue }
            if !c.active {
                skipped.append(Skip(contact: c, reason: "removed from contacts", suppressed: true))
                continue
            }
            if !c.isReachable(category: category) {
                skipped.append(Skip(contact: c, reason: c.optOutScope == .marketing ? "opted out of marketing" : "opted out", suppressed: true))
                continue
            }
            // Meta has not delivered marketing templates to US numbers since 1 April 2025: each would fail at Meta.
            if category?.uppercased() == "MARKETING", c.phone.hasPrefix("+1"), PhoneNormalizer.region(ofE164: c.phone) == "US" {
                skipped.append(Skip(contact: c, reason: Self.usMarketingReason))
                continue
            }
            recipients.append(c)
        }
        if recipients.isEmpty && problems.isEmpty {
            problems.append(.init(field: "audience", reason: "matches no contact that can be messaged"))
        }
        return (recipients, skipped, problems)
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
