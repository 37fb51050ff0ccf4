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
        messagingLimit = (limitText ?? json["messaging_limit_tier"]?.string).flatMap(MessagingLimit.init(tier:))
        quality = json["quality_rating"]?.string
        displayPhoneNumber = json["display_phone_number"]?.string
        verifiedName = json["verified_name"]?.string
        nameStatus = json["name_status"]?.string
        throughput = json["throughput"]?["level"]?.string
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
        switch await graphGET("\(phoneNumberID)?fields=\(PhoneNumberInfo.fields)") {
        case .json(let json): PhoneNumberInfo(json: json).map(PhoneNumberAnswer.info) ?? .failed("an answer without the phone number's fields")
        case .rejected(let error): .rejected(error)
        case .failed(let reason): .failed(reason)
        }
    }
}
