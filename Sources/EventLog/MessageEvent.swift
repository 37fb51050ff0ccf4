import Foundation
import WabulkBase

/// One line of the JSON-lines event log: a status change of one message, an inbound message, a raw
/// webhook body as Meta sent it, a contact's opt-out or opt-in, or a template's new status.
public struct MessageEvent: Codable, Sendable, Equatable {
    /// `userLink`: a webhook named a person by both phone number and business-scoped user id.
    /// `accountUpdate`: Meta changed something about the business account (`reason` names the webhook field).
    public enum Kind: String, Codable, Sendable { case status, inbound, webhook, optOut, optIn, templateStatus, userLink, accountUpdate }

    public var kind: Kind
    /// When wabulk recorded it (ISO 8601 UTC).
    public var time: String
    public var status: MessageStatus?
    public var campaign: String?
    public var job: String?
    public var phone: String?
    public var name: String?
    public var wamid: String?
    public var attempt: Int?
    public var errorCode: Int?
    public var errorTitle: String?
    public var errorDetails: String?
    /// What kind of failure a `failed` or `deferred` event records: what decisions read.
    public var failure: FailureKind?
    /// Meta's own timestamp of the status (Unix seconds), used to order webhook events.
    public var metaTime: Int?
    public var pricingCategory: String?
    public var pricingType: String?
    /// Why a message was skipped, deferred or cancelled, or the text of an inbound message.
    public var reason: String?
    public var source: String?
    /// A webhook's body exactly as received (kind `webhook`): Meta keeps no history to fetch later.
    public var raw: String?
    /// The template a `templateStatus` event is about; its new status is in `reason`.
    public var template: String?
    public var language: String?
    /// The person's business-scoped user id (Meta's BSUID), when the webhook carried one; a user with a
    /// username may come with this alone, without a phone number.
    public var userID: String?
    public var parentUserID: String?
    /// The business portfolio's messaging limit an `accountUpdate` carries (-1: unlimited).
    public var messagingLimit: Int?
    /// An inbound reply's button payload (a quick-reply button of a template sends the payload the campaign set).
    public var payload: String?
    /// Meta's id of the message an inbound reply answers (its `context`), when the person replied to one.
    public var replyTo: String?

    public init(
        kind: Kind = .status,
        time: Date,
        status: MessageStatus? = nil,
        campaign: String? = nil,
        job: String? = nil,
        phone: String? = nil,
        name: String? = nil,
        wamid: String? = nil,
        attempt: Int? = nil,
        errorCode: Int? = nil,
        errorTitle: String? = nil,
        errorDetails: String? = nil,
        metaTime: Int? = nil,
        pricingCategory: String? = nil,
        pricingType: String? = nil,
        reason: String? = nil,
        source: String? = nil,
        raw: String? = nil,
        template: String? = nil,
        language: String? = nil,
        failure: FailureKind? = nil,
        userID: String? = nil,
        parentUserID: String? = nil,
        messagingLimit: Int? = nil,
        payload: String? = nil,
        replyTo: String? = nil
    ) {
        self.kind = kind
        self.time = Timestamp.format(time)
        self.status = status
        self.campaign = campaign
        self.job = job
        self.phone = phone
        self.name = name
        self.wamid = wamid
        self.attempt = attempt
        self.errorCode = errorCode
        self.errorTitle = errorTitle
        self.errorDetails = errorDetails
        self.metaTime = metaTime
        self.pricingCategory = pricingCategory
        self.pricingType = pricingType
        self.reason = reason
        self.source = source
        self.raw = raw
        self.template = template
        self.language = language
        self.failure = failure
        self.userID = userID
        self.parentUserID = parentUserID
        self.messagingLimit = messagingLimit
        self.payload = payload
        self.replyTo = replyTo
    }

    public var date: Date? { Timestamp.parse(time) }

    /// One log line read back: the fast reader for the log's flat lines, JSONDecoder for anything else.
    public init?(line: UnsafeRawBufferPointer) {
        guard let f = EventFields.parse(line) else {
            guard let e = try? JSONDecoder().decode(MessageEvent.self, from: Data(line)) else { return nil }
            self = e
            return
        }
        self.init(fields: f, in: line)
    }

    /// From a line's fields already found (the ledger's fold hands status lines on without parsing twice).
    init?(fields f: EventFields, in line: UnsafeRawBufferPointer) {
        func text(_ t: EventFields.Text?) -> String? { t.map { EventFields.string($0, in: line) } }
        guard let kindText = text(f.kind), let kind = Kind(rawValue: kindText), let time = text(f.time) else { return nil }
        var status: MessageStatus?
        if let s = text(f.status) {
            guard let known = MessageStatus(rawValue: s) else { return nil }
            status = known
        }
        self.kind = kind
        self.time = time
        self.status = status
        campaign = text(f.campaign)
        job = text(f.job)
        phone = text(f.phone)
        name = text(f.name)
        wamid = text(f.wamid)
        attempt = f.attempt
        errorCode = f.errorCode
        errorTitle = text(f.errorTitle)
        errorDetails = text(f.errorDetails)
        // An unknown kind (a newer wabulk's) reads as none rather than losing the line.
        failure = text(f.failure).flatMap(FailureKind.init(rawValue:))
        metaTime = f.metaTime
        pricingCategory = text(f.pricingCategory)
        pricingType = text(f.pricingType)
        reason = text(f.reason)
        source = text(f.source)
        raw = text(f.raw)
        template = text(f.template)
        language = text(f.language)
        userID = text(f.userID)
        parentUserID = text(f.parentUserID)
        messagingLimit = f.messagingLimit
        payload = text(f.payload)
        replyTo = text(f.replyTo)
    }
}
