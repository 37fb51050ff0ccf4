import Curl
import Foundation
import WabulkBase

extension CloudAPIClient {
    /// What one Graph read answered: the JSON, Meta's error, or why nothing usable came back.
    public enum GraphAnswer: Sendable, Equatable {
        case json(JSONValue)
        case rejected(GraphError)
        case failed(String)
    }

    /// GET `/{version}/{path}` with the bearer token (`path` holds the node and any query).
    public func graphGET(_ path: String) async -> GraphAnswer {
        let request = HTTPRequest(
            method: "GET",
            url: "\(baseURL)/\(version)/\(path)",
            headers: [("Authorization", "Bearer \(token.reveal())")],
            timeout: timeout
        )
        let response: HTTPResponse
        do { response = try await transport.perform(request) } catch { return .failed(error.message) }
        if response.status == 200, let json = JSONValue.parse(response.body), json.isObject { return .json(json) }
        if let error = GraphError(responseBody: response.body) { return .rejected(error) }
        return .failed("HTTP \(response.status) without a JSON answer")
    }
}
