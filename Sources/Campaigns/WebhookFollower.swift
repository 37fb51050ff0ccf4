import Account
import Contacts
import EventLog
import Foundation
import Logging
import ServiceLifecycle
import Spool
import Templates
import WabulkBase

/// Acts on what the webhook listener wrote to the event log, so the listener itself only verifies and
/// stores: an opt-out (STOP, Meta's button, `user_preferences`, a 131050 failure) goes through the
/// `OptOutRecorder` (suppressed, waiting messages dropped, registry marked, ordered by Meta's time); an
/// opt-in lifts it; a template Meta paused or disabled holds every campaign using it (and an approval lifts
/// that hold). Its place in the log is kept in var/followers/webhooks.json, so a restart neither skips nor
/// repeats; an event it could not act on (the registry locked by an import) keeps the place before it and
/// is tried again on the next pass.
public struct WebhookFollower: Service {
    let home: HomeLayout
    let registry: ContactRegistry
    let linkBacklog = LinkBacklog()
    let recorder: OptOutRecorder
    let interval: Duration
    /// Whether Meta's good news (UNFLAGGED, a reinstated account) lifts the hold its bad news set.
    let liftHealthHolds: Bool
    let logger: Logger
    let now: @Sendable () -> Date

    /// `interval`: how often it looks for new lines; a quarter second, so Meta's word on the account holds
    /// sending within a second of its 200.
    public init(
        home: HomeLayout,
        registry: ContactRegistry,
        events: EventLogWriter,
        interval: Duration = .milliseconds(250),
        liftHealthHolds: Bool = true,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.liftHealthHolds = liftHealthHolds
        self.home = home
        self.registry = registry
        self.recorder = OptOutRecorder(registry: registry, spoolDirectory: home.spool, events: events, now: now)
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    /// Template statuses that must stop sending, and those that let it go on.
    static let stopping: Set<String> = ["PAUSED", "DISABLED", "DELETED", "PENDING_DELETION", "REJECTED", "LIMIT_EXCEEDED", "LOCKED", "ARCHIVED"]
    static let sendable: Set<String> = ["APPROVED", "REINSTATED"]

    var positionFile: URL { home.state.appendingPathComponent("followers/webhooks.json") }

    public func run() async throws {
        var tail = EventLogTail(directory: home.log, from: loadPosition())
        var saved = tail.position
        var savedAt = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let acted = await catchUp(&tail)
            // Saved at once after acting; lines only skipped (statuses, inbound texts) are saved at most every
            // 30 s: read again after a crash they are skipped again, and an idle daemon stops rewriting the
            // file each time a status arrives.
            if let position = tail.position, position != saved, acted > 0 || ContinuousClock.now - savedAt >= .seconds(30) {
                savePosition(position)
                saved = position
                savedAt = .now
            }
            _ = await sleepUnlessStopping(until: .now + interval)
        }
        // What the listener stored before the stop is acted on now, not after the restart.
        await catchUp(&tail)
        if let position = tail.position, position != saved { savePosition(position) }
    }

    /// Handles everything written since the saved place (one pass, as after a restart).
    @discardableResult
    public func catchUp() async -> Int {
        var tail = EventLogTail(directory: home.log, from: loadPosition())
        let start = tail.position
        let acted = await catchUp(&tail)
        if let position = tail.position, position != start { savePosition(position) }
        return acted
    }

    /// Handles everything new in the log; returns how many events it acted on.
    @discardableResult
    func catchUp(_ tail: inout EventLogTail) async -> Int {
        var acted = 0
        for link in linkBacklog.take() {
            do { try await applyUserLink(link) } catch { linkBacklog.add(link) }
        }
        let start = tail.position
        let found = tail.nextWithPlaces(kinds: [.optOut, .optIn, .templateStatus, .userLink, .accountUpdate])
        for (i, (event, _)) in found.enumerated() {
            do {
                switch event.kind {
                case .optOut, .optIn: try await applyPreference(event)
                case .templateStatus: try applyTemplateStatus(event)
                case .userLink: try await applyUserLink(event)
                case .accountUpdate: try applyAccountUpdate(event)
                default: continue
                }
                acted += 1
            } catch  where event.kind == .userLink {
                // A link must not hold back the opt-outs behind it (a locked registry would stop them all):
                // it is kept aside and tried again on each pass (after a restart the listener logs it anew).
                logger.warning(
                    "webhook follower: the link of user \(event.userID ?? "") could not be kept yet: \(error)",
                    metadata: event.logMetadata
                )
                linkBacklog.add(event)
                acted += 1
            } catch {
                // Not past it: the place stays before this event, which is tried again on the next pass
                // (what came before it is done; doing an event twice changes nothing).
                logger.error(
                    "webhook follower: \(event.kind.rawValue) \(event.phone ?? event.template ?? ""): \(error); trying again",
                    metadata: event.logMetadata
                )
                tail.rewind(to: i == 0 ? start : found[i - 1].after)
                return acted
            }
        }
        return acted
    }

    func applyPreference(_ event: MessageEvent) async throws {
        let optedOut = event.kind == .optOut
        let scope: Contact.OptOutScope = event.errorCode == MessageEvent.marketingOptOutCode ? .marketing : .all
        guard let phone = try event.phone ?? event.userID.flatMap(registry.phone(userID:)) else {
            // Known by the user id alone: the choice waits for a webhook that names the number too.
            guard let userID = event.userID else { return }
            try registry.keep(
                .init(userID: userID, optedOut: optedOut, scope: scope, source: event.preferenceSource, at: event.preferenceTime ?? now())
            )
            logger.notice(
                "user \(userID) opted \(optedOut ? "out" : "in") before their number is known: applied as soon as a webhook names it",
                metadata: event.logMetadata
            )
            return
        }
        let change = PreferenceChange(
            phone: phone,
            optedOut: optedOut,
            scope: scope,
            source: event.preferenceSource,
            at: event.preferenceTime ?? now()
        )
        let outcome = try await recorder.record([change])
        if outcome.superseded > 0 {
            logger.notice(
                "contact \(phone): \(event.reason ?? event.kind.rawValue) is older than the choice on record; ignored",
                metadata: event.logMetadata
            )
            return
        }
        let dropped = outcome.dropped.isEmpty ? "" : "; \(outcome.dropped.count) waiting messages dropped"
        logger.notice("contact \(phone) opted \(optedOut ? "out" : "in"): \(event.reason ?? "")\(dropped)", metadata: event.logMetadata)
        for job in outcome.inFlight {
            logger.notice(
                "contact \(phone) opted out while \(job.id) was already on its way to Meta",
                metadata: ["job": "\(job.id)", "campaign": "\(job.campaign)", "phone": "\(phone)"]
            )
        }
    }

    func applyTemplateStatus(_ event: MessageEvent) throws {
        guard let name = event.template, let status = event.reason else { return }
        if var cache = try TemplateCache.load(home.templatesFile) {
            let languages = cache.data.filter { $0.name == name && (event.language == nil || $0.language == event.language) }.map(\.language)
            for language in languages { _ = cache.setStatus(status, name: name, language: language) }
            try cache.save(home.templatesFile)
        }
        let affected = CampaignRecord.loadAll(in: home.campaigns).filter { (record: CampaignRecord) -> Bool in
            // An A/B test is held whole when any of its variants' templates is paused.
            record.phase == .spooled
                && record.manifest.templates.contains { $0.name == name && (event.language == nil || $0.language == event.language) }
        }
        try SpoolControl.update(spool: home.spool) { control in
            for record in affected {
                if Self.stopping.contains(status) {
                    let why = event.errorDetails.map { ": \($0)" } ?? ""
                    control.campaignHolds[record.id] = .init(
                        reason: "template \(name) is \(status) at Meta\(why); resume once it is approved again",
                        cause: .template(name: name),
                        since: now()
                    )
                } else if Self.sendable.contains(status), control.campaignHolds[record.id]?.cause == .template(name: name) {
                    control.campaignHolds[record.id] = nil
                }
            }
        }
        if !affected.isEmpty {
            logger.notice(
                "template \(name) \(status): campaigns \(affected.map(\.id).joined(separator: ", "))",
                metadata: ["template": "\(name)", "campaign": .array(affected.map { .string($0.id) })]
            )
        }
    }

    /// A webhook named a user by number and user id: the link is kept, and any choice that waited for it is
    /// recorded now, with its own time (so a later choice made by number still wins).
    func applyUserLink(_ event: MessageEvent) async throws {
        guard let phone = event.phone, let userID = event.userID else { return }
        let waiting = try registry.link(userID: userID, phone: phone, at: event.date ?? now())
        guard !waiting.isEmpty else { return }
        let outcome = try await recorder.record(waiting)
        logger.notice(
            "user \(userID) is \(phone): \(waiting.count) choice\(waiting.count == 1 ? "" : "s") made by the user id applied; \(outcome.dropped.count) waiting messages dropped",
            metadata: event.logMetadata
        )
    }

    /// Meta changed the account. A new messaging limit is kept in var/account.json, where the dispatcher
    /// follows it (a raised limit releases the messages held back for it; the operator's setting still wins
    /// there). Bad news of the number's quality holds marketing, of the account holds everything, with Meta's
    /// words; Meta's good news lifts the hold it set (unless the operator wants to lift it themselves).
    func applyAccountUpdate(_ event: MessageEvent) throws {
        // What the refresh read from the phone number is kept by the refresh itself; its line is history.
        guard event.origin != .graph else { return }
        if let limit = event.messagingLimit {
            try AccountState.update(home) { state in
                state.messagingLimit = MessagingLimit(eventValue: limit)
                state.limitSource = .webhook
                state.limitAt = event.time
            }
            logger.notice("messaging limit set by Meta (\(event.reason ?? "webhook")): \(MessagingLimit(eventValue: limit).description)")
        }
        let change = HealthChange(field: event.reason ?? "", event: event.errorTitle, details: event.errorDetails)
        let cause = HoldCause.account(event: event.errorTitle ?? "")
        let at = event.date ?? now()
        var changed = true
        try SpoolControl.update(spool: home.spool) { control in
            switch change {
            case .holdMarketing(let reason): control.marketingHold = .init(reason: reason, cause: cause, since: at)
            case .holdAll(let reason): control.queueHold = .init(reason: reason, cause: cause, since: at)
            case .liftMarketing where liftHealthHolds:
                if case .account = control.marketingHold?.cause { control.marketingHold = nil } else { changed = false }
            case .liftAll where liftHealthHolds:
                if case .account = control.queueHold?.cause { control.queueHold = nil } else { changed = false }
            default: changed = false
            }
        }
        switch change {
        case .holdMarketing(let reason), .holdAll(let reason):
            logger.warning("\(reason)", metadata: ["event": "\(event.errorTitle ?? "")"])
        case .liftMarketing(let reason), .liftAll(let reason):
            logger.notice(
                changed
                    ? "\(reason): the hold is lifted"
                    : "\(reason)\(liftHealthHolds ? "" : "; the hold stays until `wabulk resume` (liftHealthHolds is off)")"
            )
        case .none: break
        }
    }

    func loadPosition() -> EventLogTail.Position? {
        (try? Data(contentsOf: positionFile)).flatMap { try? JSONDecoder().decode(EventLogTail.Position.self, from: $0) }
    }

    /// A place that could not be saved only means re-reading lines after a restart (acting on them twice
    /// changes nothing), so it is logged, not fatal.
    func savePosition(_ position: EventLogTail.Position) {
        do {
            try AtomicFile.write(try JSONEncoder().encode(position), to: positionFile, durable: false)
        } catch {
            logger.warning("webhook follower: its place in the log could not be saved: \(error)")
        }
    }
}

/// `userLink` events the registry could not take yet (its write lock held by an import).
final class LinkBacklog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [MessageEvent] = []

    func add(_ event: MessageEvent) { lock.withLock { events.append(event) } }

    func take() -> [MessageEvent] {
        lock.withLock {
            defer { events.removeAll() }
            return events
        }
    }
}
