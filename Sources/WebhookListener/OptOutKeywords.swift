import Foundation

/// The replies that opt a contact out (STOP, UNSUBSCRIBE and whatever the settings add, in any
/// language), matched without regard to case or surrounding spaces. Made once, not per webhook.
public struct OptOutKeywords: Sendable {
    let lowercased: Set<String>

    public init(_ keywords: [String] = ["STOP", "UNSUBSCRIBE"]) {
        lowercased = Set(keywords.map { $0.lowercased() })
    }

    func match(_ text: String) -> Bool {
        lowercased.contains(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
    }
}
