import Curl
import WabulkBase

/// What Meta says about the sending number (`GET /{version}/{phone-number-id}?fields=…`): the business
/// portfolio's messaging limit, the number's quality rating and its names (meta-cloud-api.md §5, §14).
public struct PhoneNumberInfo: Sendable, Equatable {
    public var messagingLimit: MessagingLimit?
    /// GREEN, YELLOW, RED or UNKNOWN.
    public var quality: String?
    public var displayPhoneNumber: String?
    public var verifiedName: String?
    public var nameStatus: String?
    public var throughput: String?

    public init(
        messagingLimit: MessagingLimit? = nil,
        quality: String? = nil,
        displayPhoneNumber: String? = nil,
        verifiedName: String? = nil,
        nameStatus: String? = nil,
        throughput: String? = nil
    ) {
        self.messagingLimit = messagingLimit
        self.quality = quality
        self.displayPhoneNumber = displayPhoneNumber
        self.verifiedName = verifiedName
        self.nameStatus = nameStatus
        self.throughput = throughput
    }

    public static let fields =
        "whatsapp_business_manager_messaging_limit,messaging_limit_tier,quality_rating,display_phone_number,verified_name,name_status,throughput"

    /// The answer's fields; the limit from `whatsapp_business_manager_messaging_limit`, else the older
    /// `messaging_limit_tier`.
    public init?(json: JSONValue) {
        guard json.isObject else { return nil }
        let limitText =
            json["whatsapp_business_manager_messaging_limit"]?.string ?? json["whatsapp_business_manager_messaging_limit"]?["current_limit"]?.string
        messagingLimit = (limitText ?? json["messaging_limit_tier"]?.string).flatMap(Self.limit(tier:))
        quality = json["quality_rating"]?.string
        displayPhoneNumber = json["display_phone_number"]?.string
        verifiedName = json["verified_name"]?.string
        nameStatus = json["name_status"]?.string
        throughput = json["throughput"]?["level"]?.string
    }

    /// `TIER_250` → 250 people, `TIER_2K` → 2,000, `TIER_UNLIMITED` → unlimited; nil for `TIER_NOT_SET` or
    /// anything else.
    public static func limit(tier: String) -> MessagingLimit? {
        let t = tier.uppercased()
        if t == "TIER_UNLIMITED" || t == "UNLIMITED" { return .unlimited }
        guard t.hasPrefix("TIER_") else { return Int(t).map { $0 < 0 ? .unlimited : .people($0) } }
        var digits = t.dropFirst(5)
        var scale = 1
        if digits.hasSuffix("K") {
            scale = 1000
            digits = digits.dropLast()
        }
        return Int(digits).map { .people($0 * scale) }
    }
}

extension CloudAPIClient {
    public enum PhoneNumberAnswer: Sendable, Equatable {
        case info(PhoneNumberInfo)
        case rejected(GraphError)
        case failed(String)
    }

    /// The sending number as Meta describes it.
    public func phoneNumberInfo() async -> PhoneNumberAnswer {
        let request = HTTPRequest(
            method: "GET",
            url: "\(baseURL)/\(version)/\(phoneNumberID)?fields=\(PhoneNumberInfo.fields)",
            headers: [("Authorization", "Bearer \(token.reveal())")],
            timeout: timeout
        )
        let response: HTTPResponse
        do { response = try await transport.perform(request) } catch { return .failed(error.message) }
        if response.status == 200, let json = JSONValue.parse(response.body), let info = PhoneNumberInfo(json: json) { return .info(info) }
        if let error = GraphError(responseBody: response.body) { return .rejected(error) }
        return .failed("HTTP \(response.status) without the phone number's fields")
    }
}
