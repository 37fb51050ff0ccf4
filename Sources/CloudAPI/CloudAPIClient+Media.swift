import Curl
import Foundation
import WabulkBase

extension CloudAPIClient {
    public enum MediaUploadOutcome: Sendable, Equatable {
        case uploaded(id: String)
        case rejected(GraphError)
        case failed(String)
    }

    public var mediaURL: String { "\(baseURL)/\(version)/\(phoneNumberID)/media" }

    /// `POST /{version}/{phone-number-id}/media` (multipart: `messaging_product`, `type`, `file`): the id to
    /// send the media by, for 30 days.
    public func uploadMedia(path: String, filename: String, contentType: String) async -> MediaUploadOutcome {
        let request = HTTPRequest(
            url: mediaURL,
            headers: [("Authorization", "Bearer \(token.reveal())")],
            form: [
                .text(name: "messaging_product", value: "whatsapp"), .text(name: "type", value: contentType),
                .file(name: "file", path: path, filename: filename, contentType: contentType),
            ]
        )
        let response: HTTPResponse
        do {
            response = try await transport.perform(request)
        } catch {
            return .failed(error.message)
        }
        if response.status == 200, let id = JSONValue.parse(response.body)?["id"]?.string, !id.isEmpty { return .uploaded(id: id) }
        if let error = GraphError(responseBody: response.body) { return .rejected(error) }
        return .failed("HTTP \(response.status) without a media id")
    }
}
