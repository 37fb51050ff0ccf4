import EventLog
import Foundation
import Logging
import Metrics
import WabulkBase

/// What happens to a POST's body once it is whole: the signature checked, the events read, the body and
/// its events appended durably to the event log, and only then the answer. Called on an event loop; it
/// never blocks one (the answer comes from the event log's sync thread).
final class WebhookIntake: Sendable {
    enum Answer: Sendable {
        case stored
        case badSignature
        case malformed
        case storeFailed
    }

    private let events: EventLogWriter
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// nil: unsigned POSTs accepted (testing only).
    private let verifier: WebhookSignature.Verifier?
    private let keywords: OptOutKeywords
    private let links = UserLinkBook()
    private let arrivals: WebhookArrivalRecorder?
    private let onOptOut: (@Sendable ([MessageEvent]) -> Void)?
    // Made once: a counter's handler comes from the metrics factory, a lookup per creation.
    private let outcomes: [String: Counter]
    private let statusCounters: [MessageStatus: Counter]

    init(options: WebhookListener.Options, events: EventLogWriter, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.events = events
        self.logger = logger
        self.now = now
        verifier = options.appSecret.map(WebhookSignature.Verifier.init(secret:))
        keywords = OptOutKeywords(options.optOutKeywords)
        arrivals = options.arrivalsFile.map(WebhookArrivalRecorder.init(file:))
        onOptOut = options.onOptOut
        outcomes = Dictionary(
            uniqueKeysWithValues: ["accepted", "too_large", "bad_signature", "malformed", "store_failed"].map {
                ($0, Counter(label: "wabulk_webhooks_total", dimensions: [("outcome", $0)]))
            }
        )
        statusCounters = Dictionary(
            uniqueKeysWithValues: [MessageStatus.sent, .delivered, .read, .failed].map {
                ($0, Counter(label: "wabulk_message_statuses_total", dimensions: [("status", $0.rawValue)]))
            }
        )
    }

    /// Whether the lines are durable; a failure is logged and counted.
    private func stored(_ result: Result<Void, any Error>) -> Bool {
        guard case .failure(let error) = result else { return true }
        logger.error("webhook events could not be stored: \(error)")
        // Meta retries anything but 200: nothing is lost.
        outcomes["store_failed"]?.increment()
        return false
    }

    func countTooLarge() { outcomes["too_large"]?.increment() }

    func receive(_ body: [UInt8], signature: String?, answer: @escaping @Sendable (Answer) -> Void) {
        if let verifier {
            guard verifier.isValid(header: signature, body: body) else {
                logger.warning("webhook rejected: bad or missing signature")
                outcomes["bad_signature"]?.increment()
                return answer(.badSignature)
            }
        }
        let received = now()
        let time = Timestamp.format(received)
        if let batch = body.withUnsafeBytes({ StatusBatch.lines($0, time: time) }) {
            events.append(lines: batch.bytes, day: String(time.prefix(10)), durable: true) { [self] result in
                guard stored(result) else { return answer(.storeFailed) }
                arrivals?.record([.messages], statuses: true, at: received)
                outcomes["accepted"]?.increment()
                for status in batch.statuses { statusCounters[status]?.increment() }
                answer(.stored)
            }
            return
        }
        let parsed: [MessageEvent]
        var fields = Set<WebhookField>()
        do {
            parsed = try WebhookPayload.events(
                from: body,
                receivedAt: received,
                optOutKeywords: keywords,
                isKnownLink: { links.contains(phone: $0, userID: $1) },
                seen: { fields.insert($0) }
            )
        } catch {
            outcomes["malformed"]?.increment()
            return answer(.malformed)
        }
        // The body as received goes first, in the same write and the same sync as its events.
        let raw = MessageEvent(kind: .webhook, time: received, source: EventSource.webhook.rawValue, raw: String(decoding: body, as: UTF8.self))
        let lines = EventLogWriter.lines([raw] + parsed)
        events.append(lines: lines, day: String(raw.time.prefix(10)), durable: true) { [self, fields] result in
            guard stored(result) else { return answer(.storeFailed) }
            arrivals?.record(fields, statuses: parsed.contains { $0.kind == .status }, at: received)
            links.remember(parsed.compactMap { e in e.kind == .userLink ? e.phone.flatMap { p in e.userID.map { (p, $0) } } : nil })
            if let onOptOut {
                let optOuts = parsed.filter { $0.kind == .optOut }
                if !optOuts.isEmpty { onOptOut(optOuts) }
            }
            outcomes["accepted"]?.increment()
            for e in parsed where e.kind == .status { e.status.flatMap { statusCounters[$0] }?.increment() }
            answer(.stored)
        }
    }
}
