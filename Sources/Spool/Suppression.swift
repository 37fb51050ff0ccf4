import Foundation

/// A number the dispatcher must not message, as the spool keeps it (`suppressions` in jobs.sqlite): whoever
/// records an opt-out or a removal writes one, and the dispatcher checks it right before each request leaves.
public struct Suppression: Sendable, Equatable {
    /// What the person stopped: everything, or only marketing (Meta's 131050, which leaves utility and
    /// authentication templates deliverable).
    public enum Scope: String, Sendable, Codable, CaseIterable {
        case all, marketing
        /// Lifted: kept as a row so a follower of the table sees the change.
        case none

        /// Whether a message of a template in `category` may not go to a number with this scope. An unknown
        /// category counts as marketing: never guess in the direction of sending.
        public func blocks(category: String?) -> Bool {
            switch self {
            case .all: true
            case .marketing: category.map { $0.uppercased() == "MARKETING" } ?? true
            case .none: false
            }
        }

        /// The broader of two scopes (a marketing stop never narrows a full one).
        public func union(_ other: Scope) -> Scope {
            if self == .all || other == .all { return .all }
            if self == .marketing || other == .marketing { return .marketing }
            return .none
        }
    }

    /// E.164 with the leading `+`.
    public var phone: String
    public var scope: Scope
    /// Who recorded it, in staff's words: "operator", "file optout.csv", "webhook: replied \"STOP\"", "meta-131050", "removed".
    public var source: String

    public init(phone: String, scope: Scope, source: String) {
        self.phone = phone
        self.scope = scope
        self.source = source
    }

    /// The skip reason every path writes for a message this suppression stopped.
    public var skipReason: String {
        switch scope {
        case .all where source == Self.removedSource: "removed from contacts"  // EventLog's SuppressionSkip.removed
        case .all: "opted out (\(source))"
        case .marketing: "opted out of marketing (\(source))"
        case .none: "not suppressed"
        }
    }

    public static let removedSource = "removed"
}
