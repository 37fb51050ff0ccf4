import CloudAPI
import EventLog
import Foundation
import Metrics
import Logging
import ServiceLifecycle
import Spool
import WabulkBase

/// Drains the spool through the Cloud API client at the configured rate. Every step of a message is
/// written to the event log; the error catalog decides between retry, slow down, pause and fail.
public final class Dispatcher: Service, Sendable {
    public struct Options: Sendable {
        public var rate: SendRate
        public var retry: RetryPolicy
        public var concurrency: Int
        /// How long a worker sleeps when nothing is due.
        public var idlePoll: Duration
        /// Meta's pair limit: about one message per 6 s to the same recipient.
        public var pairSpacing: Duration
        /// A job whose campaign slot is further away than this waits in the spool instead of holding a worker.
        public var maxSlotWait: Duration
        /// How long to wait for webhooks about a message that may have reached Meta without an answer
        /// (in flight at a crash, or its answer timed out) before sending it again.
        public var reconcileWindow: Duration = .seconds(120)
        /// After the window, resend such a message (true) or mark it unknown (false).
        public var resendUnsettled = true

        public init(rate: SendRate, retry: RetryPolicy = RetryPolicy(), concurrency: Int = 4, idlePoll: Duration = .milliseconds(200),
                    pairSpacing: Duration = .seconds(6), maxSlotWait: Duration = .seconds(2)) {
            self.rate = rate
            self.retry = retry
            self.concurrency = concurrency
            self.idlePoll = idlePoll
            self.pairSpacing = pairSpacing
            self.maxSlotWait = maxSlotWait
        }
    }

    private let spool: Spool
    private let spoolDirectory: URL
    private let events: EventLogWriter
    private let eventsDirectory: URL
    private let client: CloudAPIClient
    private let options: Options
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let limiter: LimiterBox
    private let controlWatch: SpoolControl.Watch
    private let unconfirmed = UnconfirmedSends()
    private let storage = StorageTrouble()
    private let clock = ContinuousClock()
    private let suppressions: SuppressionList
    private let beforeSending: (@Sendable () async -> Void)?

    /// `suppressions`: the numbers not to message, asked right before each request leaves (the daemon shares
    /// it with the webhook listener, which marks opt-outs in it the moment they are answered).
    /// `beforeSending`: run once before the first claim (the daemon applies opt-outs a crash left unapplied).
    public init(spool: Spool, spoolDirectory: URL, events: EventLogWriter, eventsDirectory: URL, client: CloudAPIClient,
                options: Options, logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
                suppressions: SuppressionList? = nil, beforeSending: (@Sendable () async -> Void)? = nil) {
        self.suppressions = suppressions ?? SuppressionList(spoolDirectory: spoolDirectory)
        self.beforeSending = beforeSending
        self.spool = spool
        self.spoolDirectory = spoolDirectory
        self.events = events
        self.eventsDirectory = eventsDirectory
        self.client = client
        self.options = options
        self.logger = logger
        self.now = now
        self.limiter = LimiterBox(RateLimiter(rate: options.rate))
        self.controlWatch = SpoolControl.Watch(spool: spoolDirectory)
    }

    public func run() async throws {
        // Taken before the start-up fold: a webhook logged meanwhile is then read by the follower too.
        let logEnd = EventLogTail.end(of: eventsDirectory)
        let started = clock.now
        await beforeSending?()
        try await recoverInFlight()
        let origin = clock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.followUnconfirmed(from: logEnd, startedAt: started) }
            for worker in 0..<options.concurrency {
                group.addTask { await self.work(worker: worker, origin: origin) }
            }
        }
        logger.info("dispatcher stopped")
    }

    /// Jobs left in active/ by a crash. One whose `sending` event never reached the log never left: it
    /// goes back in line. One whose outcome is in the log leaves the spool. The rest may or may not have
    /// reached Meta (the API has no idempotency key): they wait for their webhooks (`followUnconfirmed`).
    func recoverInFlight() async throws {
        let jobs = try await spool.inFlightAtStartup()
        guard !jobs.isEmpty else { return }
        let ledger = MessageLedger(logDirectory: eventsDirectory)
        let start = clock.now
        var uncertain = 0
        for job in jobs {
            switch ledger.messages[job.id]?.status {
            case .some(let status) where status.isFinal:
                try await settle(job, status: status)
            case .sending:
                // The spool row still has the attempt before the one whose `sending` event is in the log.
                var job = job
                job.attempt += 1
                unconfirmed.add(.init(job: job, sentAt: start, deadline: start + options.reconcileWindow, unanswered: false))
                uncertain += 1
            default:
                try await spool.release(job)
            }
        }
        if uncertain > 0 {
            logger.notice("\(uncertain) messages may have left before the stop; waiting \(options.reconcileWindow) for Meta's webhooks about them")
        }
    }

    /// Settles unconfirmed sends from the event log as their status webhooks come in (they carry the job id
    /// as biz_opaque_callback_data), and sends again, or holds as unknown, those with none by their deadline.
    func followUnconfirmed(from logEnd: EventLogTail.Position?, startedAt: ContinuousClock.Instant) async {
        var tail = EventLogTail(directory: eventsDirectory, from: logEnd)
        // Where the tail stood at given moments: a send that times out later may have had its webhook read
        // (and passed over) already, so the tail goes back to a place from before that send left.
        var marks: [(at: ContinuousClock.Instant, position: EventLogTail.Position?)] = [(startedAt, logEnd)]
        var lastRead = clock.now
        let idleNap = min(.seconds(30), max(.seconds(1), options.reconcileWindow / 4))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let sentAt = unconfirmed.takeRewind(), let mark = marks.last(where: { $0.at <= sentAt }), mark.position != tail.position {
                tail = EventLogTail(directory: eventsDirectory, from: mark.position)
            }
            // Idle, the log is still read now and then, so a later rewind has little to read again.
            if !unconfirmed.isEmpty || clock.now - lastRead >= .seconds(30) {
                let unconfirmed = self.unconfirmed
                let events = tail.next { line in
                    !unconfirmed.isEmpty && (EventLogTail.jobID(in: line).map(unconfirmed.contains) ?? false)
                }
                lastRead = clock.now
                marks.append((lastRead, tail.position))
                // Ten minutes of marks at the busiest, far longer than an answer can take; the first (a crash's
                // jobs) always stays.
                if marks.count > 600 { marks.remove(at: 1) }
                for event in events where event.kind == .status {
                    guard let status = event.status, status.isFinal, let id = event.job, let entry = unconfirmed.take(id) else { continue }
                    do { try await settle(entry.job, status: status) } catch { logger.error("settling \(id): \(error)") }
                }
            }
            for entry in unconfirmed.takeExpired(now: clock.now) {
                do { try await giveUpWaiting(on: entry) } catch { logger.error("reconciling \(entry.job.id): \(error)") }
            }
            // Nothing to wait for: a long nap (an idle daemon should not wake every second). A send that
            // times out meanwhile is looked at within a quarter of its window, so never after its deadline.
            let wake = unconfirmed.nextDeadline.map { min($0, clock.now + .seconds(1)) } ?? clock.now + idleNap
            _ = await sleepUnlessStopping(until: wake)
        }
    }

    /// No webhook about a message that may have reached Meta: it is sent again (`afterReconcile = resend`),
    /// unless it has used its attempts, or recorded as failed with "outcome unknown" (`hold`).
    private func giveUpWaiting(on entry: UnconfirmedSends.Entry) async throws {
        let job = entry.job
        var event = MessageEvent(time: now(), campaign: job.campaign, job: job.id, phone: job.phone, attempt: job.attempt, source: EventSource.dispatch.rawValue)
        let waited = "no webhook about it within \(options.reconcileWindow)"
        let failure: (kind: FailureKind, title: String, reason: String)?
        if !options.resendUnsettled {
            failure = (.outcomeUnknown, "outcome unknown", "\(entry.unanswered ? "Meta did not answer" : "may have been sent before a crash"); not resent (afterReconcile = hold)")
        } else if entry.unanswered, job.attempt >= options.retry.maxAttempts {
            failure = (.noAnswer, "no answer", "gave up after \(job.attempt) attempts")
        } else {
            failure = nil
        }
        if let failure {
            event.status = .failed
            event.failure = failure.kind
            event.errorTitle = failure.title
            event.errorDetails = waited
            event.reason = failure.reason
            try await events.append(event, durable: true)
            try await spool.fail(job)
        } else {
            logger.notice("no sign of \(job.id) at Meta: sending it again")
            event.status = .deferred
            event.reason = "\(waited): sending again"
            try await events.append(event, durable: true)
            try await spool.release(job)
        }
    }

    private func settle(_ job: SpoolJob, status: MessageStatus) async throws {
        if status == .failed { try await spool.fail(job) } else { try await spool.complete(job) }
    }

    private func work(worker: Int, origin: ContinuousClock.Instant) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let control = controlWatch.current()
            if control.queueHold != nil {
                await pause(options.idlePoll * 2)
                continue
            }
            // Claim nothing until the number itself may send again: an idle-waiting daemon then sleeps
            // instead of taking jobs only to put them back.
            let numberWait = limiter.waitForNumber(now: clock.now - origin)
            if numberWait > options.maxSlotWait {
                await pause(numberWait - options.maxSlotWait)
                continue
            }
            let job: SpoolJob?
            do { job = try await spool.claimNext(now: now(), excluding: Set(control.campaignHolds.keys)) } catch {
                storage.failed("the spool cannot be written (\(error))", logger: logger)
                await pause(.seconds(2))
                continue
            }
            guard var job else {
                await pause(options.idlePoll)
                continue
            }
            if let window = job.window {
                let opening = window.nextOpening(atOrAfter: now())
                if opening > now() {
                    // Outside the campaign's sending window: it waits for the next opening, no attempt spent.
                    job.notBefore = opening
                    try? await spool.requeue(job)
                    continue
                }
            }
            let elapsed = clock.now - origin
            switch limiter.reserve(now: elapsed, campaign: job.campaign, campaignRate: job.campaignRate.flatMap(SendRate.init(parsing:)),
                                   recipient: job.phone, pairSpacing: options.pairSpacing, maxWait: options.maxSlotWait) {
            case .later(let slot):
                // This campaign (or recipient) may not go for a while: let other campaigns use the number meanwhile.
                let seconds = Double((slot - elapsed).components.seconds) + Double((slot - elapsed).components.attoseconds) / 1e18
                job.notBefore = now().addingTimeInterval(seconds)
                try? await spool.requeue(job)
                await pause(options.idlePoll)
                continue
            case .at(let slot):
                if await sleepUnlessStopping(until: origin + slot) { break }
                // Stopping before the request left: the job goes back in line untouched.
                try? await spool.release(job)
                return
            }
            if controlWatch.current().queueHold != nil {
                // Sending was paused while this worker waited for its slot (another request got a 190).
                try? await spool.release(job)
                continue
            }
            job.attempt += 1
            await send(job)
        }
    }

    private func send(_ job: SpoolJob) async {
        let leaving = clock.now
        let base = MessageEvent(time: now(), campaign: job.campaign, job: job.id, phone: job.phone, attempt: job.attempt, source: EventSource.dispatch.rawValue)
        var sending = base
        sending.status = .sending
        do {
            // Durable before the request leaves: after a crash this line says the message may have gone.
            try await events.append(sending, durable: true)
        } catch {
            // Nothing left: the job goes back in line (however long the disk stays full) and sending pauses.
            storage.failed("the event log cannot be written (\(error))", logger: logger)
            await untilRecorded(job.id) { try await self.spool.release(job) }
            await pause(.seconds(2))
            return
        }
        storage.recovered(logger: logger)
        // The last check, as late as it can be: an opt-out recorded by anyone up to this instant stops it.
        if await isSuppressed(job, base: base) { return }
        let message = TemplateMessage(to: job.phone, templateName: job.template.name, language: job.template.language,
                                      headerParameters: job.template.header, bodyParameters: job.template.body,
                                      buttonParameters: job.template.buttons, callbackData: job.id)
        let started = ContinuousClock.now
        let outcome = await client.send(message)
        SendMetrics.latency.record(duration: ContinuousClock.now - started)
        SendMetrics.count(outcome)
        var event = base
        event.time = Timestamp.format(now())
        // Meta has answered: the answer is recorded however long that takes (a full disk pauses here), never
        // dropped, or a message Meta accepted would be sent again after the reconcile window.
        await untilRecorded(job.id) { try await self.record(outcome, of: job, event: event, leftAt: leaving) }
    }

    private func record(_ outcome: SendOutcome, of job: SpoolJob, event: MessageEvent, leftAt leaving: ContinuousClock.Instant) async throws {
        var event = event
        do {
            switch outcome {
            case .accepted(let wamid):
                limiter.recover()
                event.status = .sent
                event.wamid = wamid
                try await events.append(event, durable: true)
                try await spool.complete(job)
            case .rejected(let error, _, let retryAfter):
                try await handleFailure(job, event: event, failure: .meta, code: error.code, title: error.title, details: error.details,
                                        action: MetaErrorCatalog.entry(for: error.code).action, retryAfter: retryAfter)
            case .transportFailure(let reason, let status, let retryAfter):
                let kind: FailureKind = status.map { $0 >= 500 ? .http5xx : .http } ?? .network
                try await handleFailure(job, event: event, failure: kind, code: nil, title: status.map { "HTTP \($0)" } ?? "network error",
                                        details: reason, action: outcome.action ?? .retry, retryAfter: retryAfter)
            case .unanswered(let reason):
                // Meta may have it: the job stays in flight until its webhook settles it or the window ends.
                event.status = .sending
                event.errorTitle = "no answer"
                event.errorDetails = reason
                event.reason = "the request may have reached Meta: waiting up to \(options.reconcileWindow) for its webhook before sending again"
                try await events.append(event, durable: true)
                unconfirmed.add(.init(job: job, sentAt: leaving, deadline: clock.now + options.reconcileWindow, unanswered: true))
            }
        }
    }

    /// Runs `step` until it succeeds, pausing longer each time (at most 5 s), with sending reported paused
    /// meanwhile. Only a stop ends it early: then the job is left as the log says, for the next start's recovery.
    private func untilRecorded(_ job: String, _ step: () async throws -> Void) async {
        var tries = 0
        while true {
            do {
                try await step()
                if tries > 0 { storage.recovered(logger: logger) }
                return
            } catch {
                tries += 1
                storage.failed("\(job) cannot be recorded (\(error))", logger: logger)
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                await pause(.seconds(min(tries, 5)))
            }
        }
    }

    /// Whether the job's number is suppressed for its template: then it is logged `skipped` and leaves the spool.
    private func isSuppressed(_ job: SpoolJob, base: MessageEvent) async -> Bool {
        let blocking: Suppression?
        do { blocking = try suppressions.blocking(job.phone, category: job.template.category) } catch {
            // Unknown is not "allowed": the job waits and the check is made again.
            logger.error("suppressions: \(error); \(job.id) waits")
            var retry = job
            retry.attempt -= 1
            retry.notBefore = now().addingTimeInterval(5)
            try? await spool.requeue(retry)
            return true
        }
        guard let blocking else { return false }
        var skipped = base
        skipped.time = Timestamp.format(now())
        skipped.status = .skipped
        skipped.reason = blocking.skipReason
        skipped.source = "opt-out"
        do {
            try await events.append(skipped, durable: true)
            try await spool.complete(job)
            logger.notice("\(job.id) not sent: \(blocking.skipReason)")
        } catch {
            logger.error("recording the skip of \(job.id) failed: \(error)")
        }
        return true
    }

    private func handleFailure(_ job: SpoolJob, event: MessageEvent, failure: FailureKind, code: Int?, title: String, details: String?,
                               action: ErrorAction, retryAfter: Double?) async throws {
        var event = event
        event.failure = failure
        event.errorCode = code
        event.errorTitle = title
        event.errorDetails = details
        var retryJob = job
        switch action {
        case .stopQueue, .stopCampaign:
            // Not this message's fault: it waits, its attempt not counted, until the hold is lifted
            // (`wabulk resume` for the queue, `wabulk campaign resume` for the campaign).
            let hold = SpoolControl.Hold(reason: "\(code.map { "(#\($0)) " } ?? (action == .stopQueue ? "" : "(#0) "))\(title)", cause: .metaError(code: code),
                                         errorCode: code, since: now())
            try SpoolControl.update(spool: spoolDirectory) {
                if action == .stopQueue { $0.queueHold = hold } else { $0.campaignHolds[job.campaign] = hold }
            }
            if action == .stopQueue {
                logger.critical("sending paused: (#\(code ?? 0)) \(title); fix it, then run `wabulk resume`")
            } else {
                logger.error("campaign \(job.campaign) stopped: (#\(code ?? 0)) \(title)")
            }
            controlWatch.invalidate()
            retryJob.attempt -= 1
            event.status = .deferred
            event.reason = "\(action == .stopQueue ? "sending paused" : "campaign stopped"): \(title)"
            try await events.append(event, durable: true)
            try await spool.requeue(retryJob)
            return
        case .fail:
            event.status = .failed
            var lines = [event]
            if let optOut = MessageEvent.marketingOptOut(after: event) {
                // The person turned marketing off: no further marketing message goes to them from here on;
                // the webhook follower records it everywhere else.
                suppressions.mark(Suppression(phone: job.phone, scope: .marketing, source: optOut.preferenceSource))
                lines.append(optOut)
            }
            try await events.append(lines, durable: true)
            try await spool.fail(job)
            return
        case .retry, .slowDown, .slowDownRecipient, .retryAfterADay:
            break
        }
        if action == .slowDown { limiter.slowDown() }
        let delay: Duration?
        switch action {
        case .retryAfterADay: delay = job.attempt < options.retry.maxAttempts ? .seconds(86_400) : nil
        // Meta: retry a pair-limited recipient after 4^X seconds, X = 0, 1, 2…
        case .slowDownRecipient: delay = job.attempt < options.retry.maxAttempts ? .seconds(Int(pow(4.0, Double(job.attempt - 1)))) : nil
        default: delay = options.retry.delay(after: job.attempt)
        }
        guard var wait = delay else {
            event.failure = .gaveUp
            event.status = .failed
            event.reason = "gave up after \(job.attempt) attempts"
            try await events.append(event, durable: true)
            try await spool.fail(job)
            return
        }
        if let retryAfter, .seconds(retryAfter) > wait { wait = .seconds(retryAfter) }
        let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
        retryJob.notBefore = now().addingTimeInterval(seconds)
        event.status = .deferred
        event.reason = "retry at \(Timestamp.format(retryJob.notBefore!))"
        try await events.append(event, durable: true)
        try await spool.requeue(retryJob)
    }

    private func pause(_ duration: Duration) async {
        _ = await sleepUnlessStopping(until: clock.now + duration)
    }
}

/// The limiters are shared by all workers; their arithmetic is tiny, so a lock beats an actor hop.
/// One limiter for the number, one per campaign that set its own rate, and the last send time per
/// recipient for Meta's pair limit.
final class LimiterBox: @unchecked Sendable {
    enum Slot { case at(Duration), later(Duration) }

    private var limiter: RateLimiter
    private var campaigns: [String: RateLimiter] = [:]
    private var lastToRecipient: [String: Duration] = [:]
    private let lock = NSLock()
    init(_ limiter: RateLimiter) { self.limiter = limiter }

    /// How long until the number's own limiter allows a send.
    func waitForNumber(now: Duration) -> Duration { lock.withLock { max(.zero, limiter.nextAllowed(now: now) - now) } }

    func reserve(now: Duration, campaign: String, campaignRate: SendRate?, recipient: String, pairSpacing: Duration, maxWait: Duration) -> Slot {
        lock.withLock {
            var earliest = limiter.nextAllowed(now: now)
            if let campaignRate {
                if campaigns[campaign]?.rate != campaignRate { campaigns[campaign] = RateLimiter(rate: campaignRate) }
                earliest = max(earliest, campaigns[campaign]!.nextAllowed(now: now))
            }
            if let last = lastToRecipient[recipient] { earliest = max(earliest, last + pairSpacing) }
            if earliest - now > maxWait, earliest - now > limiter.spacing { return .later(earliest) }
            limiter.record(earliest)
            if campaignRate != nil { campaigns[campaign]!.record(earliest) }
            lastToRecipient[recipient] = earliest
            if lastToRecipient.count > 100_000 { lastToRecipient = lastToRecipient.filter { now - $0.value < pairSpacing } }
            return .at(earliest)
        }
    }

    func slowDown() { lock.withLock { limiter.slowDown() } }
    func recover() { lock.withLock { limiter.recover() } }
}

/// Prometheus metrics of the send path (through swift-metrics), made once: creating a metric looks its
/// handler up in the factory, which the send loop should not do per message.
enum SendMetrics {
    static let latency = Metrics.Timer(label: "wabulk_send_latency_seconds")
    static let sentStatus = Counter(label: "wabulk_message_statuses_total", dimensions: [("status", "sent")])
    static let outcomes = Dictionary(uniqueKeysWithValues: (["accepted", "transport_failure", "unanswered"]
        + [ErrorAction.retry, .slowDown, .slowDownRecipient, .retryAfterADay, .stopQueue, .stopCampaign, .fail].map(\.rawValue)).map {
        ($0, Counter(label: "wabulk_sends_total", dimensions: [("outcome", $0)]))
    })

    /// Sends by outcome, and the `sent` status as the dispatcher records it (the listener counts webhook ones).
    static func count(_ outcome: SendOutcome) {
        let label: String
        switch outcome {
        case .accepted: label = "accepted"
        case .rejected(let error, _, _): label = MetaErrorCatalog.entry(for: error.code).action.rawValue
        case .transportFailure: label = "transport_failure"
        case .unanswered: label = "unanswered"
        }
        outcomes[label]?.increment()
        if case .accepted = outcome { sentStatus.increment() }
    }
}
