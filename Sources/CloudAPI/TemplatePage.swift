import Curl
import Foundation

/// One page of GET /{version}/{WABA_ID}/message_templates.
public struct TemplatePage: Sendable, Equatable {
    public var templates: [MessageTemplate]
    /// `paging.cursors.after` when Meta says there is a next page (`paging.next` present); nil on the last.
    public var after: String?

    public init(templates: [MessageTemplate], after: String?) {
        self.templates = templates
        self.after = after
    }

    /// Reads Meta's `{"data": [...], "paging": {...}}`; nil when the body is not that shape.
    public init?(responseBody: [UInt8]) {
        struct Paging: Decodable {
            struct Cursors: Decodable { var after: String? }
            var cursors: Cursors?
            var next: String?
        }
        struct Body: Decodable {
            var data: [MessageTemplate]
            var paging: Paging?
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(responseBody)) else { return nil }
        templates = body.data
        after = body.paging?.next == nil ? nil : body.paging?.cursors?.after
    }
}

/// What one template listing call came to.
public enum TemplatePageOutcome: Sendable, Equatable {
    case page(TemplatePage)
    case rejected(GraphError, httpStatus: Int)
    case transportFailure(String, httpStatus: Int?)
}

extension CloudAPIClient {
    /// The fields wabulk needs; asking for fewer keeps Meta's answer small.
    public static let templateFields = "name,language,status,category,components,parameter_format"

    public func templatesURL(businessAccountID: String, after: String?, limit: Int) -> String {
        var url = "\(baseURL)/\(version)/\(businessAccountID)/message_templates?fields=\(Self.templateFields)&limit=\(limit)"
        if let after, let encoded = after.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { url += "&after=\(encoded)" }
        return url
    }

    /// One page of the business account's templates (a management call: it counts against the WABA's
    /// hourly budget, not the messaging rate).
    public func templatePage(businessAccountID: String, after: String?, limit: Int = 100) async -> TemplatePageOutcome {
        let request = HTTPRequest(
            method: "GET",
            url: templatesURL(businessAccountID: businessAccountID, after: after, limit: limit),
            headers: [("Authorization", "Bearer \(token.reveal())")],
            timeout: timeout
        )
        let response: HTTPResponse
        do {
            response = try await transport.perform(request)
        } catch {
            return .transportFailure(error.message, httpStatus: nil)
        }
        if response.status == 200, let page = TemplatePage(responseBody: response.body) { return .page(page) }
        if let error = GraphError(responseBody: response.body) { return .rejected(error, httpStatus: response.status) }
        return .transportFailure("HTTP \(response.status) without Meta's template list", httpStatus: response.status)
    }
}
