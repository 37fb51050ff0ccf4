import Curl
import Foundation
import WabulkBase

/// Sends template messages through Meta's Graph API (or the sandbox: the base URL is a setting).
public struct CloudAPIClient: Sendable {
    public let baseURL: String
    public let version: String
    public let phoneNumberID: String
    let token: Secret
    let transport: any HTTPTransport
    let timeout: Double

    public init(
        baseURL: String,
        version: String,
        phoneNumberID: String,
        token: Secret,
        timeout: Double = 15,
        transport: any HTTPTransport = CurlPool()
    ) {
        self.baseURL = baseURL
        self.version = version
        self.phoneNumberID = phoneNumberID
        self.token = token
        self.transport = transport
        self.timeout = timeout
    }

    public var messagesURL: String { "\(baseURL)/\(version)/\(phoneNumberID)/messages" }

    public func send(_ message: TemplateMessage) async -> SendOutcome {
        let request = HTTPRequest(
            method: "POST",
            url: messagesURL,
            headers: [("Authorization", "Bearer \(token.reveal())"), ("Content-Type", "application/json")],
            body: message.requestBody(),
            timeout: timeout
        )
        let response: HTTPResponse
        do {
            response = try await transport.perform(request)
        } catch {
            return error.requestWasSent ? .unanswered(error.message) : .transportFailure(error.message, httpStatus: nil, retryAfter: nil)
        }
        let retryAfter = Self.retryAfterSeconds(response.headers["retry-after"])
        if response.status == 200,
            let wamid = JSONValue.parse(response.body)?["messages"]?.items?.first?["id"]?.string
        {
            return .accepted(wamid: wamid)
        }
        if let error = GraphError(responseBody: response.body) {
            return .rejected(error, httpStatus: response.status, retryAfter: retryAfter)
        }
        // A gateway that gave up waiting for Meta's servers does not know whether they acted.
        if response.status == 504 { return .unanswered("HTTP 504 without Meta's error body") }
        // Success without a message id (a body cut short, a proxy's page): Meta may well have taken it, so it
        // waits for its webhook like a lost answer; sent again at once it could reach the person twice.
        if (200..<300).contains(response.status) {
            return .unanswered("HTTP \(response.status) without a message id in the answer")
        }
        return .transportFailure("HTTP \(response.status) without Meta's error body", httpStatus: response.status, retryAfter: retryAfter)
    }
}

extension CloudAPIClient {
    /// A `Retry-After` header in seconds: finite, not negative, at most a day ("inf" or 1e300 would trap
    /// when made a Duration; an HTTP date is not worth trusting here and reads as none).
    public static func retryAfterSeconds(_ header: String?) -> Double? {
        guard let value = header.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), value.isFinite, value >= 0 else { return nil }
        return min(value, 86_400)
    }
}
