import CloudAPI
import EventLog
import Foundation
import Logging
import ServiceLifecycle
import Spool
import WabulkBase

/// After a crash or a lost answer: jobs that may have reached Meta wait for their webhook, and are sent
/// again (or held as unknown) when none comes within the reconcile window.
extension Dispatcher {
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
                    do { try await settle(entry.job, status: status) } catch {
                        logger.error("settling \(id): \(error)", metadata: entry.job.logMetadata())
                    }
                }
            }
            for entry in unconfirmed.takeExpired(now: clock.now) {
                do { try await giveUpWaiting(on: entry) } catch {
                    logger.error("reconciling \(entry.job.id): \(error)", metadata: entry.job.logMetadata())
                }
            }
            // Nothing to wait for: a long nap (an idle daemon should not wake every second). A send that
            // times out meanwhile is looked at within a quarter of its window, so never after its deadline.
            let wake = unconfirmed.nextDeadline.map { min($0, clock.now + .seconds(1)) } ?? clock.now + idleNap
            _ = await sleepUnlessStopping(until: wake)
        }
    }

    /// No webhook about a message that may have reached Meta: it is sent again (`afterReconcile = resend`),
    /// unless it has used its attempts, or recorded as failed with "outcome unknown" (`hold`).
    func giveUpWaiting(on entry: UnconfirmedSends.Entry) async throws {
        let job = entry.job
        var event = job.dispatchEvent(at: now())
        let waited = "no webhook about it within \(options.reconcileWindow)"
        let failure: (kind: FailureKind, title: String, reason: String)?
        if !options.resendUnsettled {
            failure = (
                .outcomeUnknown, "outcome unknown",
                "\(entry.unanswered ? "Meta did not answer" : "may have been sent before a crash"); not resent (afterReconcile = hold)"
            )
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
            logger.notice("no sign of \(job.id) at Meta: sending it again", metadata: job.logMetadata())
            event.status = .deferred
            event.reason = "\(waited): sending again"
            try await events.append(event, durable: true)
            try await spool.release(job)
        }
    }

    func settle(_ job: SpoolJob, status: MessageStatus) async throws {
        if status == .failed { try await spool.fail(job) } else { try await spool.complete(job) }
    }
}
