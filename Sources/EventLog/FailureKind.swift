/// What kind of failure a `failed` or `deferred` event records, written in the line as `failure`: what
/// retry-failed and the reports decide by. The title and details beside it are for people.
public enum FailureKind: String, Codable, Sendable, CaseIterable {
    /// Meta answered with an error code (`errorCode`), by HTTP or by a failed-status webhook.
    case meta
    /// The request never got an HTTP answer that says anything: refused, reset, timed out before it left.
    case network
    /// An HTTP 5xx without Meta's error body (a proxy, Meta's front end).
    case http5xx
    /// Any other HTTP status without Meta's error body.
    case http
    /// The request may have reached Meta but no answer came back, and no webhook within the window.
    case noAnswer
    /// Retried as transient until its attempts ran out (its code or title says what kept failing).
    case gaveUp
    /// Held as unknown after a crash or a lost answer (`afterReconcile = hold`): it may have been sent.
    case outcomeUnknown

    /// Whether sending it again later may work, for failures without Meta's code (Meta's codes are judged
    /// by the error catalog).
    public var isTransientWithoutCode: Bool {
        switch self {
        case .network, .http5xx, .noAnswer, .gaveUp: true
        case .meta, .http, .outcomeUnknown: false
        }
    }

    /// Logs written before the kind was recorded: the one place their words are read.
    public static func fromLegacy(errorCode: Int?, title: String?, reason: String?) -> FailureKind? {
        if reason?.hasPrefix("gave up") == true { return .gaveUp }
        if errorCode != nil { return .meta }
        if title == "network error" { return .network }
        if let title, title.hasPrefix("HTTP 5") { return .http5xx }
        if let title, title.hasPrefix("HTTP ") { return .http }
        if title == "no answer" { return .noAnswer }
        if title == "outcome unknown" { return .outcomeUnknown }
        return nil
    }
}
