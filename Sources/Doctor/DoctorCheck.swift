/// One line of `wabulk doctor`: what was checked, how it went, what was found, and what to do about it.
public struct DoctorCheck: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case pass, fail
        /// Not checked: nothing configured to check (no SMTP server, no public webhook URL).
        case skipped
    }

    public var name: String
    public var outcome: Outcome
    public var found: String
    /// For a failure: the next step.
    public var fix: String?

    public init(_ name: String, _ outcome: Outcome, _ found: String, fix: String? = nil) {
        self.name = name
        self.outcome = outcome
        self.found = found
        self.fix = fix
    }

    /// As printed: `✓ token: …`, `✗ token: … — fix`, `- smtp: …`.
    public var line: String {
        let mark =
            switch outcome {
            case .pass: "✓"
            case .fail: "✗"
            case .skipped: "-"
            }
        return "\(mark) \(name): \(found)" + (fix.map { " — \($0)" } ?? "")
    }
}
