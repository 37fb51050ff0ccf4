import CloudAPI
import EventLog
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Spool
import WabulkBase

/// Drains the spool through the Cloud API client at the configured rate. Every step of a message is
/// written to the event log; the error catalog decides between retry, slow down, pause and fail.
///
/// Over 300 lines on purpose: the options, the worker loop and its send and record steps follow one job
/// from claim to outcome and read best together; recovery, failures, media and the messaging budget are
/// in extensions of their own.
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
        /// Meta's messaging limit: unique people a moving 24 hours (nil: unknown, nothing held back).
        public var messagingLimit: Int?
        /// Where the limit is read as it changes (the operator's setting, else what the account learned).
        public var currentLimit: (@Sendable () -> Int?)?
        public var limitPoll: Duration = .seconds(2)

        public init(
            rate: SendRate,
            retry: RetryPolicy = RetryPolicy(),
            concurrency: Int = 4,
            idlePoll: Duration = .milliseconds(200),
            pairSpacing: Duration = .seconds(6),
            maxSlotWait: Duration = .seconds(2)
        ) {
            self.rate = rate
            self.retry = retry
            self.concurrency = concurrency
            self.idlePoll = idlePoll
            self.pairSpacing = pairSpacing
            self.maxSlotWait = maxSlotWait
        }
    }

    let spool: Spool
    let spoolDirectory: URL
    let events: EventLogWriter
    let eventsDirectory: URL
    let client: CloudAPIClient
    let options: Options
    let logger: Logger
    let now: @Sendable () -> Date
    let limiter: LimiterBox
    let budget: BudgetBox
    let controlWatch: SpoolControl.Watch
    let unconfirmed = UnconfirmedSends()
    let marketingHeld = MarketingHeldCampaigns()
    let storage = StorageTrouble()
    let clock = ContinuousClock()
    let suppressions: SuppressionList
    let beforeSending: (@Sendable () async -> Void)?
    /// Uploads files named by media headers; nil when no media folder was given (links and ids still go).
    let media: MediaLibrary?

    /// `suppressions`: the numbers not to message, asked right before each request leaves (the daemon shares
    /// it with the webhook listener, which marks opt-outs in it the moment they are answered).
    /// `beforeSending`: run once before the first claim (the daemon applies opt-outs a crash left unapplied).
    public init(
        spool: Spool,
        spoolDirectory: URL,
        events: EventLogWriter,
        eventsDirectory: URL,
        client: CloudAPIClient,
        options: Options,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init,
        suppressions: SuppressionList? = nil,
        mediaDirectory: URL? = nil,
        beforeSending: (@Sendable () async -> Void)? = nil
    ) {
        self.media = mediaDirectory.map { MediaLibrary(directory: $0, client: client, now: now) }
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
        self.budget = BudgetBox(limit: options.currentLimit?() ?? options.messagingLimit)
        self.controlWatch = SpoolControl.Watch(spool: spoolDirectory)
    }

    public func run() async throws {
        // Taken before the start-up fold: a webhook logged meanwhile is then read by the follower too.
        let logEnd = EventLogTail.end(of: eventsDirectory)
        let started = clock.now
        await beforeSending?()
        try await recoverInFlight()
        loadBudget()
        let origin = clock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.followUnconfirmed(from: logEnd, startedAt: started) }
            group.addTask { await self.followLimit() }
            for worker in 0..<options.concurrency {
                group.addTask { await self.work(worker: worker, origin: origin) }
            }
        }
        logger.info("dispatcher stopped")
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
            var excluded = Set(control.campaignHolds.keys)
            if control.marketingHold != nil { excluded.formUnion(await marketingHeld.current(from: spool)) }
            let job: SpoolJob?
            do { job = try await spool.claimNext(now: now(), excluding: excluded) } catch {
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
                    await untilRecorded(job.id) { try await self.spool.requeue(job) }
                    continue
                }
            }
            // Over Meta's messaging limit: the job waits for room in the window before it takes a rate slot.
            if case .wait(let until, let used, let limit) = budget.peek(job.phone, now: now()) {
                await waitForBudget(job, until: until, used: used, limit: limit, attemptTaken: false)
                continue
            }
            let elapsed = clock.now - origin
            switch limiter.reserve(
                now: elapsed,
                campaign: job.campaign,
                campaignRate: job.campaignRate.flatMap(SendRate.init(parsing:)),
                recipient: job.phone,
                pairSpacing: options.pairSpacing,
                maxWait: options.maxSlotWait
            ) {
            case .later(let slot):
                // This campaign (or recipient) may not go for a while: let other campaigns use the number meanwhile.
                let seconds = Double((slot - elapsed).components.seconds) + Double((slot - elapsed).components.attoseconds) / 1e18
                job.notBefore = now().addingTimeInterval(seconds)
                await untilRecorded(job.id) { try await self.spool.requeue(job) }
                await pause(options.idlePoll)
                continue
            case .at(let slot):
                if await sleepUnlessStopping(until: origin + slot) { break }
                // Stopping before the request left: the job goes back in line untouched.
                await untilRecorded(job.id) { try await self.spool.release(job) }
                return
            }
            let latest = controlWatch.current()
            if latest.queueHold != nil || (latest.marketingHold != nil && job.isMarketing) {
                // Sending was paused while this worker waited for its slot (another request got a 190, Meta
                // flagged the number's quality).
                if latest.marketingHold != nil, job.isMarketing { marketingHeld.add(job.campaign) }
                await untilRecorded(job.id) { try await self.spool.release(job) }
                continue
            }
            job.attempt += 1
            await send(job)
        }
    }

    private func send(_ job: SpoolJob) async {
        guard let parameters = await parametersToSend(job) else { return }
        let leaving = clock.now
        let base = job.dispatchEvent(at: now())
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
        // Counted now, as late as can be: workers beside this one see the person in the window (the check
        // before the rate slot makes a wait here rare: another worker took the last room meanwhile).
        let countedAt = now()
        let (admission, previous) = budget.admit(job.phone, now: countedAt)
        if case .wait(let until, let used, let limit) = admission {
            await waitForBudget(job, until: until, used: used, limit: limit, attemptTaken: true)
            return
        }
        let message = TemplateMessage(
            to: job.phone,
            templateName: job.template.name,
            language: job.template.language,
            parameters: parameters,
            callbackData: job.id
        )
        let started = ContinuousClock.now
        let outcome = await client.send(message)
        switch outcome {
        case .accepted, .unanswered: break
        // Never reached anyone: the person is counted as before.
        case .rejected, .transportFailure: budget.withdraw(job.phone, countedAt: countedAt, previous: previous)
        }
        SendMetrics.latency.record(duration: ContinuousClock.now - started)
        SendMetrics.count(outcome)
        var event = base
        event.time = Timestamp.format(now())
        // Meta has answered: the answer is recorded however long that takes (a full disk pauses here), never
        // dropped, or a message Meta accepted would be sent again after the reconcile window.
        await untilRecorded(job.id) { try await self.record(outcome, of: job, event: event, leftAt: leaving, mediaID: parameters.mediaID) }
    }

    private func record(
        _ outcome: SendOutcome,
        of job: SpoolJob,
        event: MessageEvent,
        leftAt leaving: ContinuousClock.Instant,
        mediaID: String?
    ) async throws {
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
                if try await handleMediaFailure(job, code: error.code, title: error.title, sentID: mediaID) { return }
                try await handleFailure(
                    job,
                    event: event,
                    failure: .meta,
                    code: error.code,
                    title: error.title,
                    details: error.details,
                    action: MetaErrorCatalog.entry(for: error.code).action,
                    retryAfter: retryAfter
                )
            case .transportFailure(let reason, let status, let retryAfter):
                let kind: FailureKind = status.map { $0 >= 500 ? .http5xx : .http } ?? .network
                try await handleFailure(
                    job,
                    event: event,
                    failure: kind,
                    code: nil,
                    title: status.map { "HTTP \($0)" } ?? "network error",
                    details: reason,
                    action: outcome.action ?? .retry,
                    retryAfter: retryAfter
                )
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
    func untilRecorded(_ job: String, _ step: () async throws -> Void) async {
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
            logger.error("suppressions: \(error); \(job.id) waits", metadata: job.logMetadata())
            var retry = job
            retry.attempt -= 1
            retry.notBefore = now().addingTimeInterval(5)
            await untilRecorded(retry.id) { try await self.spool.requeue(retry) }
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
            logger.notice("\(job.id) not sent: \(blocking.skipReason)", metadata: job.logMetadata())
        } catch {
            logger.error("recording the skip of \(job.id) failed: \(error)", metadata: job.logMetadata())
        }
        return true
    }

    func pause(_ duration: Duration) async {
        _ = await sleepUnlessStopping(until: clock.now + duration)
    }
}
