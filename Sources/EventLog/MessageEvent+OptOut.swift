import Foundation

extension MessageEvent {
    /// Meta's code for "this person stopped marketing messages from the business" (meta-cloud-api.md §4).
    public static let marketingOptOutCode = 131_050

    /// The opt-out a failure with 131050 means: the person turned marketing off in WhatsApp. It carries the
    /// code, which makes it a marketing-only opt-out (utility and authentication templates still reach them),
    /// and Meta's time of the failure, which orders it against the person's other choices.
    public static func marketingOptOut(after failure: MessageEvent) -> MessageEvent? {
        guard failure.status == .failed, failure.errorCode == marketingOptOutCode, failure.phone != nil || failure.userID != nil else {
            return nil
        }
        var event = MessageEvent(
            kind: .optOut,
            time: Date(),
            phone: failure.phone,
            errorCode: marketingOptOutCode,
            metaTime: failure.metaTime,
            reason: "Meta error 131050: stopped marketing messages",
            source: failure.source,
            userID: failure.userID,
            parentUserID: failure.parentUserID
        )
        event.time = failure.time
        return event
    }

    /// Who recorded an opt-out or opt-in event, as the registry and skip reasons name it: `meta-131050` for
    /// Meta's marketing opt-out, else the event's source and what the person did ("webhook: replied \"STOP\"").
    public var preferenceSource: String {
        errorCode == Self.marketingOptOutCode ? "meta-131050" : "\(source ?? "webhook"): \(reason ?? kind.rawValue)"
    }

    /// When the person made this choice: Meta's timestamp where there is one, else when wabulk recorded it.
    public var preferenceTime: Date? {
        metaTime.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? date
    }
}

/// The skip reasons of numbers not to message, as every path writes them. Decisions read the skip event's
/// source (`opt-out`); the words are read only for logs from before planning skips carried it.
public enum SuppressionSkip {
    public static let removed = "removed from contacts"

    static func isLegacySuppression(_ reason: String) -> Bool {
        reason.hasPrefix("opted out") || reason == removed
    }
}
