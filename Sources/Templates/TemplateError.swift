import CloudAPI

public enum TemplateError: Error, Equatable, CustomStringConvertible {
    case missingBusinessAccount
    case rejected(GraphError, page: Int)
    case unreachable(reason: String, page: Int)
    case malformedAnswer(page: Int)
    case unreadableCache(path: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingBusinessAccount: "WHATSAPP_BUSINESS_ACCOUNT_ID is not set: the template list belongs to the business account"
        case .rejected(let e, let page): "Meta refused the template list (page \(page)): \(e)"
        case .unreachable(let reason, let page): "the template list could not be fetched (page \(page)): \(reason)"
        case .malformedAnswer(let page): "the template list's page \(page) is not Meta's shape"
        case .unreadableCache(let path): "\(path) is not a template list (expected {\"data\": [...]} as Meta returns it)"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
