import CloudAPI
import EventLog
import Foundation
import Logging
import ServiceLifecycle
import Spool
import WabulkBase

/// What an error from Meta or the network does to a job, by the error catalog's action.
extension Dispatcher {
    func handleFailure(
        _ job: SpoolJob,
        event: MessageEvent,
        failure: FailureKind,
        code: Int?,
        title: String,
        details: String?,
        action: ErrorAction,
        retryAfter: Double?
    ) async throws {
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
            let hold = SpoolControl.Hold(
                reason: "\(code.map { "(#\($0)) " } ?? (action == .stopQueue ? "" : "(#0) "))\(title)",
                cause: .metaError(code: code),
                errorCode: code,
                since: now()
            )
            try SpoolControl.update(spool: spoolDirectory) {
                if action == .stopQueue { $0.queueHold = hold } else { $0.campaignHolds[job.campaign] = hold }
            }
            if action == .stopQueue {
                logger.critical("sending paused: (#\(code ?? 0)) \(title); fix it, then run `wabulk resume`", metadata: job.logMetadata(code: code))
            } else {
                logger.error("campaign \(job.campaign) stopped: (#\(code ?? 0)) \(title)", metadata: job.logMetadata(code: code))
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
        // Meta's per-user marketing cap: twice a day apart at most, then the message fails with the reason.
        case .retryAfterADay: delay = job.attempt < min(3, options.retry.maxAttempts) ? .seconds(86_400) : nil
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
}
