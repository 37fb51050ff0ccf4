import Foundation

/// Why a hold was set: it decides who lifts it (a template approved again lifts only the holds its pausing
/// set) and how `wabulk status` shows it (paused or stopped). Stored beside the hold as `kind` or
/// `kind:detail`; the reason text beside it is for people only.
public enum HoldCause: Sendable, Equatable, Codable {
    /// `wabulk campaign pause` or a control file; `by` says which.
    case paused(by: String)
    case cancelled(by: String)
    /// Meta answered with an error that stops the queue or the campaign (an expired token, a locked account).
    case metaError(code: Int?)
    /// The campaign's template was paused or disabled at Meta.
    case template(name: String)
    /// A media header's file or link that Meta cannot use (an upload refused or failed, media Meta could not
    /// fetch twice); `media` is the file name or link.
    case media(String)
    /// Meta's word on the number's quality or the account's standing (`event` as Meta names it); Meta's
    /// matching good news lifts it, as does `wabulk resume`.
    case account(event: String)
    /// The hold store itself could not be read.
    case unreadableStore
    /// A hold from an older control.json whose cause could not be told.
    case unknown

    var stored: String {
        switch self {
        case .paused(let by): "paused:" + by
        case .cancelled(let by): "cancelled:" + by
        case .metaError(let code): "meta:" + (code.map(String.init) ?? "")
        case .template(let name): "template:" + name
        case .media(let media): "media:" + media
        case .account(let event): "account:" + event
        case .unreadableStore: "unreadable"
        case .unknown: "unknown"
        }
    }

    init(stored: String) {
        let kind = stored.prefix { $0 != ":" }
        let detail = stored.dropFirst(kind.count + 1)
        switch kind {
        case "paused": self = .paused(by: String(detail))
        case "cancelled": self = .cancelled(by: String(detail))
        case "meta": self = .metaError(code: Int(detail))
        case "template": self = .template(name: String(detail))
        case "media": self = .media(String(detail))
        case "account": self = .account(event: String(detail))
        case "unreadable": self = .unreadableStore
        default: self = .unknown
        }
    }

    /// The one place a hold's words are read: holds of a control.json written before causes were kept.
    static func fromLegacy(reason: String, errorCode: Int?) -> HoldCause {
        if reason.hasPrefix("paused by ") { return .paused(by: String(reason.dropFirst("paused by ".count))) }
        if reason.hasPrefix("cancelled by ") { return .cancelled(by: String(reason.dropFirst("cancelled by ".count))) }
        if reason.hasPrefix("template "), let end = reason.range(of: " is ") {
            return .template(name: String(reason[reason.index(reason.startIndex, offsetBy: "template ".count)..<end.lowerBound]))
        }
        if errorCode != nil || reason.hasPrefix("(#") { return .metaError(code: errorCode) }
        return .unknown
    }

    /// Whether `wabulk status` shows the campaign as paused (by people) rather than stopped (by a fault).
    public var isPause: Bool { if case .paused = self { true } else { false } }
}
