import EventLog
import Foundation
import Logging
import Spool
import WabulkBase

/// The budget is shared by all workers; like the limiters, a lock beats an actor hop for its arithmetic.
final class BudgetBox: @unchecked Sendable {
    private var budget: MessagingBudget
    private let lock = NSLock()
    init(limit: Int?) { budget = MessagingBudget(limit: limit) }

    /// Asked for every job before its rate slot: counts nothing (a copy of the window here would copy
    /// every person in it, per job).
    func peek(_ phone: String, now: Date) -> MessagingBudget.Admission {
        lock.withLock { budget.admission(for: phone, now: now) }
    }

    /// Counts the person when the message may go; returns what to give back if it never reaches Meta.
    func admit(_ phone: String, now: Date) -> (MessagingBudget.Admission, previous: Date?) {
        lock.withLock {
            let previous = budget.latestMessage(to: phone)
            return (budget.admit(phone, now: now), previous)
        }
    }

    func withdraw(_ phone: String, countedAt: Date, previous: Date?) {
        lock.withLock { budget.withdraw(phone, countedAt: countedAt, previous: previous) }
    }

    func record(_ phone: String, at time: Date) { lock.withLock { budget.record(phone, at: time) } }

    /// The limit changed; returns whether it rose (the jobs held back for it may go now).
    func setLimit(_ limit: Int?) -> Bool {
        lock.withLock {
            let old = budget.limit
            budget.limit = limit
            return (limit ?? .max) > (old ?? .max)
        }
    }

    var limit: Int? { lock.withLock { budget.limit } }

    /// Whether someone new could be messaged now.
    func hasRoom(now: Date) -> Bool {
        lock.withLock {
            var copy = budget
            copy.expire(now: now)
            return copy.limit.map { copy.used < $0 } ?? true
        }
    }
}

extension Dispatcher {
    /// The people messaged in the last 24 hours, read back from the event log at start-up (the `sent` lines
    /// the dispatcher wrote), so a restart does not forget who was already reached.
    func loadBudget() {
        let now = now()
        for sent in EventLogReader(directory: eventsDirectory).messagesSent(since: now.addingTimeInterval(-MessagingBudget.window), until: now) {
            budget.record(sent.phone, at: sent.at)
        }
    }

    /// Puts a job back until the budget has room, with the reason; its attempt is not spent.
    func waitForBudget(_ job: SpoolJob, until: Date, used: Int, limit: Int, attemptTaken: Bool) async {
        var waiting = job
        if attemptTaken { waiting.attempt -= 1 }
        waiting.notBefore = until
        var event = job.dispatchEvent(at: now())
        event.attempt = waiting.attempt
        event.status = .deferred
        event.reason = "messaging limit: \(used) of \(limit) used; next free at \(Timestamp.format(until))"
        await untilRecorded(job.id) {
            try await self.events.append(event, durable: false)
            try await self.spool.requeue(waiting, waitingFor: Spool.messagingLimitCause)
        }
    }

    /// Follows the limit as the account learns it (Meta's fields, a webhook, the operator's setting): a
    /// raised limit releases the jobs held back for it at once.
    func followLimit() async {
        // After a restart the jobs held back before it are found in the spool: with room now (the limit rose
        // while the daemon was down, or their window freed), they go rather than wait for their time.
        if budget.hasRoom(now: now()) { await releaseBudgetHeld() }
        guard let currentLimit = options.currentLimit else { return }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let limit = currentLimit()
            if limit != budget.limit {
                let rose = budget.setLimit(limit)
                logger.notice("messaging limit now \(limit.map(String.init) ?? "none")")
                if rose { await releaseBudgetHeld() }
            }
            _ = await sleepUnlessStopping(until: .now + options.limitPoll)
        }
    }

    /// Makes the jobs held back for the messaging limit due now; any the window still has no room for are
    /// held back again by the worker that claims them.
    func releaseBudgetHeld() async {
        await untilRecorded("released") {
            let held = try await self.spool.waiting(for: Spool.messagingLimitCause)
            if !held.isEmpty {
                let released = try await self.spool.makeDue(held, now: self.now())
                self.logger.notice("\(released) messages held back for the messaging limit may go now")
            }
        }
    }
}
