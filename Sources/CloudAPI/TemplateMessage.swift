import Foundation
import WabulkBase

/// A template message to one recipient, as Meta's /messages endpoint takes it.
public struct TemplateMessage: Sendable, Equatable {
    /// E.164 with the leading `+`: without it Meta may prepend the business number's own country code.
    public var to: String
    public var templateName: String
    public var language: String
    public var parameters: TemplateParameters
    /// Echoed back in every status webhook: ties a status to its spool job even if the send's response was lost.
    public var callbackData: String?

    public init(
        to: String,
        templateName: String,
        language: String,
        parameters: TemplateParameters = .init(),
        callbackData: String? = nil
    ) {
        self.to = to
        self.templateName = templateName
        self.language = language
        self.parameters = parameters
        self.callbackData = callbackData
    }

    /// Positional text values only.
    public init(
        to: String,
        templateName: String,
        language: String,
        headerParameters: [String] = [],
        bodyParameters: [String] = [],
        buttonParameters: [String] = [],
        callbackData: String? = nil
    ) {
        self.init(
            to: to,
            templateName: templateName,
            language: language,
            parameters: TemplateParameters(header: headerParameters, body: bodyParameters, buttons: buttonParameters),
            callbackData: callbackData
        )
    }

    /// The exact JSON body Meta documents (meta-cloud-api.md, sections 2 and 14), keys in sorted order.
    public func requestBody() -> [UInt8] {
        typealias M = JSONValue.Member
        var components: [JSONValue] = []
        switch parameters.header {
        case nil: break
        case .text(let texts):
            if !texts.isEmpty { components.append(Self.component("header", texts.map(Self.text))) }
        case .media(let media):
            if let parameter = Self.media(media) { components.append(Self.component("header", [parameter])) }
        case .location(let l):
            var location: [M] = []
            if let address = l.address { location.append(M(key: "address", value: .string(address))) }
            location.append(M(key: "latitude", value: .string(Self.coordinate(l.latitude))))
            location.append(M(key: "longitude", value: .string(Self.coordinate(l.longitude))))
            if let name = l.name { location.append(M(key: "name", value: .string(name))) }
            components.append(
                Self.component("header", [.object([M(key: "location", value: .object(location)), M(key: "type", value: .string("location"))])])
            )
        }
        if !parameters.body.isEmpty { components.append(Self.component("body", parameters.body.map(Self.text))) }
        for button in parameters.buttons.sorted(by: { $0.index < $1.index }) {
            let parameter: JSONValue
            switch button.kind {
            case .url: parameter = .object([M(key: "text", value: .string(button.value)), M(key: "type", value: .string("text"))])
            case .copyCode:
                parameter = .object([M(key: "coupon_code", value: .string(button.value)), M(key: "type", value: .string("coupon_code"))])
            case .quickReply: parameter = .object([M(key: "payload", value: .string(button.value)), M(key: "type", value: .string("payload"))])
            }
            components.append(
                .object([
                    M(key: "index", value: .string(String(button.index))), M(key: "parameters", value: .array([parameter])),
                    M(key: "sub_type", value: .string(button.kind.rawValue)), M(key: "type", value: .string("button")),
                ])
            )
        }
        var template: [M] = []
        if !components.isEmpty { template.append(M(key: "components", value: .array(components))) }
        template.append(M(key: "language", value: .object([M(key: "code", value: .string(language))])))
        template.append(M(key: "name", value: .string(templateName)))
        var body: [M] = []
        if let callbackData { body.append(M(key: "biz_opaque_callback_data", value: .string(callbackData))) }
        body.append(M(key: "messaging_product", value: .string("whatsapp")))
        body.append(M(key: "recipient_type", value: .string("individual")))
        body.append(M(key: "template", value: .object(template)))
        body.append(M(key: "to", value: .string(to.hasPrefix("+") ? to : "+" + to)))
        body.append(M(key: "type", value: .string("template")))
        return Array(JSONValue.object(body).json.utf8)
    }

    private static func component(_ type: String, _ parameters: [JSONValue]) -> JSONValue {
        .object([JSONValue.Member(key: "parameters", value: .array(parameters)), JSONValue.Member(key: "type", value: .string(type))])
    }

    /// `{"parameter_name": …, "text": …, "type": "text"}`; the name only for a NAMED template.
    private static func text(_ t: TemplateParameters.Text) -> JSONValue {
        var members: [JSONValue.Member] = []
        if let name = t.name { members.append(.init(key: "parameter_name", value: .string(name))) }
        members.append(.init(key: "text", value: .string(t.value)))
        members.append(.init(key: "type", value: .string("text")))
        return .object(members)
    }

    /// Nil for a file not yet uploaded: the dispatcher sends only media Meta can fetch.
    private static func media(_ media: TemplateParameters.Media) -> JSONValue? {
        var object: [JSONValue.Member] = []
        if media.kind == .document, let filename = media.filename { object.append(.init(key: "filename", value: .string(filename))) }
        switch media.source {
        case .id(let id): object.append(.init(key: "id", value: .string(id)))
        case .link(let link): object.append(.init(key: "link", value: .string(link)))
        case .file: return nil
        }
        object.sort { $0.key < $1.key }
        return .object([.init(key: media.kind.rawValue, value: .object(object)), .init(key: "type", value: .string(media.kind.rawValue))])
    }

    /// Meta's examples write coordinates as strings.
    private static func coordinate(_ value: Double) -> String {
        value == value.rounded() ? String(format: "%.1f", value) : String(value)
    }
}
