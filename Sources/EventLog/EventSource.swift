/// Which stage wrote an event (its `source`): the only values decisions compare. The line keeps the text,
/// so a value this version does not know still reads (as no `origin`).
public enum EventSource: String, Sendable, CaseIterable {
    case dispatch, webhook, campaign, control
    /// `wabulk campaign retry-failed` put a failed message back in line: the fold starts it over.
    case retry
    case optOut = "opt-out"
    /// Read from Meta's Graph API (the phone number's fields), not told by a webhook.
    case graph
}

extension MessageEvent {
    public var origin: EventSource? { source.flatMap(EventSource.init(rawValue:)) }
}
