/// A template message to one recipient, as Meta's /messages endpoint takes it.
public struct TemplateMessage: Sendable, Equatable {
    /// E.164 with the leading `+`: without it Meta may prepend the business number's own country code.
    public var to: String
    public var templateName: String
    public var language: String
    public var headerParameters: [String]
    public var bodyParameters: [String]
    /// Dynamic URL-button suffixes, one per button index.
    public var buttonParameters: [String]
    /// Echoed back in every status webhook: ties a status to its spool job even if the send's response was lost.
    public var callbackData: String?

    public init(
        to: String,
        templateName: String,
        language: String,
        headerParameters: [String] = [],
        bodyParameters: [String] = [],
        buttonParameters: [String] = [],
        callbackData: String? = nil
    ) {
        self.to = to
        self.templateName = templateName
        self.language = language
        self.headerParameters = headerParameters
        self.bodyParameters = bodyParameters
        self.buttonParameters = buttonParameters
        self.callbackData = callbackData
    }

    /// The exact JSON body Meta documents (meta-cloud-api.md, section 2).
    public func requestBody() -> [UInt8] {
        var components: [[String: Any]] = []
        func text(_ values: [String]) -> [[String: Any]] { values.map { ["type": "text", "text": $0] } }
        if !headerParameters.isEmpty { components.append(["type": "header", "parameters": text(headerParameters)]) }
        if !bodyParameters.isEmpty { components.append(["type": "body", "parameters": text(bodyParameters)]) }
        for (i, value) in buttonParameters.enumerated() {
            components.append(["type": "button", "sub_type": "url", "index": String(i), "parameters": text([value])])
        }
        var template: [String: Any] = ["name": templateName, "language": ["code": language]]
        if !components.isEmpty { template["components"] = components }
        var body: [String: Any] = [
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.hasPrefix("+") ? to : "+" + to,
            "type": "template",
            "template": template,
        ]
        if let callbackData { body["biz_opaque_callback_data"] = callbackData }
        return JSONBytes.encode(body)
    }
}
