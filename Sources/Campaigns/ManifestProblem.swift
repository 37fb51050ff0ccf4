/// One reason a manifest is refused, naming the field.
public struct ManifestProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// A manifest that did not validate; every problem is listed at once.
public struct ManifestRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ManifestProblem]
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}
