import CloudAPI
import Metrics

/// Prometheus metrics of the send path (through swift-metrics), made once: creating a metric looks its
/// handler up in the factory, which the send loop should not do per message.
enum SendMetrics {
    static let latency = Metrics.Timer(label: "wabulk_send_latency_seconds")
    static let sentStatus = Counter(label: "wabulk_message_statuses_total", dimensions: [("status", "sent")])
    static let outcomes = Dictionary(
        uniqueKeysWithValues: (["accepted", "transport_failure", "unanswered"]
            + [ErrorAction.retry, .slowDown, .slowDownRecipient, .retryAfterADay, .stopQueue, .stopCampaign, .fail].map(\.rawValue)).map {
                ($0, Counter(label: "wabulk_sends_total", dimensions: [("outcome", $0)]))
            }
    )

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
