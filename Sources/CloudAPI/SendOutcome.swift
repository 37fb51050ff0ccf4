/// What one send call came to.
public enum SendOutcome: Sendable, Equatable {
    /// Meta accepted it; statuses follow by webhook.
    case accepted(wamid: String)
    /// Meta answered with its error shape.
    case rejected(GraphError, httpStatus: Int, retryAfter: Double?)
    /// No usable answer, and the request never reached Meta (refused connection, DNS), or Meta answered
    /// with an HTTP error without its body: safe to send again.
    case transportFailure(String, httpStatus: Int?, retryAfter: Double?)
    /// The request left but its answer never came (a timeout or a connection dropped while waiting, or a
    /// gateway's 504): Meta may have accepted it. Sending it again at once could deliver it twice.
    case unanswered(String)

    /// What the sender should do about it.
    public var action: ErrorAction? {
        switch self {
        case .accepted: nil
        case .rejected(let error, _, _): MetaErrorCatalog.entry(for: error.code).action
        case .transportFailure(_, let status, _):
            // 5xx, 429 and no answer at all are transient; any other status without Meta's body is a bug.
            if let status, status < 500, status != 429, status != 408 { .fail } else { .retry }
        case .unanswered: .retry
        }
    }
}
