import Foundation

/// `{"campaign": "ID", "action": "pause"}` or `{"action": "optout", "phones": […]}`: a JSON file with an
/// "action" key is a control request, not a manifest.
public struct ControlRequest: Sendable {
    public var campaign: String?
    public var action: String?
    public var phones: [String]?

    public static let maxPhones = 10_000

    /// Nil when the bytes are not a JSON object with an "action" key (then the file is read as a manifest).
    public static func read(_ data: Data) -> ControlRequest? {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any]).flatMap(read(object:))
    }

    static func read(object: [String: Any]) -> ControlRequest? {
        guard object["action"] != nil else { return nil }
        let phones = (object["phones"] as? [Any])?.compactMap { $0 as? String } ?? (object["phone"] as? String).map { [$0] }
        return ControlRequest(campaign: object["campaign"] as? String, action: (object["action"] as? String)?.lowercased(), phones: phones)
    }
}
