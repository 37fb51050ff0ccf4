import Foundation
import WabulkBase

/// `{"campaign": "ID", "action": "pause"}` or `{"action": "optout", "phones": […]}`: a JSON file with an
/// "action" key is a control request, not a manifest.
public struct ControlRequest: Sendable {
    public var campaign: String?
    public var action: String?
    public var phones: [String]?

    public static let maxPhones = 10_000

    /// Nil when the bytes are not a JSON object with an "action" key (then the file is read as a manifest).
    public static func read(_ data: Data) -> ControlRequest? {
        JSONValue.parse(bytes: data).flatMap(read(object:))
    }

    static func read(object: JSONValue) -> ControlRequest? {
        guard object.isObject, let action = object["action"] else { return nil }
        let phones = object["phones"]?.items?.compactMap(\.string) ?? object["phone"]?.string.map { [$0] }
        return ControlRequest(campaign: object["campaign"]?.string, action: action.string?.lowercased(), phones: phones)
    }
}
