import Foundation
import WabulkBase

/// Meta's error object (meta-cloud-api.md, section 3), from a send response or a failed-status webhook.
public struct GraphError: Sendable, Equatable, Codable, Error, CustomStringConvertible {
    public var code: Int
    public var title: String
    public var details: String?
    public var fbtraceID: String?

    public init(code: Int, title: String, details: String? = nil, fbtraceID: String? = nil) {
        self.code = code
        self.title = title
        self.details = details
        self.fbtraceID = fbtraceID
    }

    /// Reads `{"error": {...}}`; nil when the body is not Meta's error shape.
    public init?(responseBody: [UInt8]) {
        guard let error = JSONValue.parse(responseBody)?["error"], let code = error["code"]?.integer else { return nil }
        self.code = code
        var title = error["message"]?.string ?? ""
        // "(#130429) Rate limit hit" → "Rate limit hit"
        if title.hasPrefix("(#"), let close = title.firstIndex(of: ")") {
            title = title[title.index(after: close)...].trimmingCharacters(in: .whitespaces)
        }
        self.title = title
        details = error["error_data"]?["details"]?.string
        fbtraceID = error["fbtrace_id"]?.string
    }

    public var description: String { "(#\(code)) \(title)" + (details.map { ": \($0)" } ?? "") }
}
