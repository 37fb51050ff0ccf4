import Foundation
import WabulkBase

/// One template as Meta lists it (meta-cloud-api.md, section 7). Field names follow Meta's JSON, so an
/// answer of GET /{WABA_ID}/message_templates decodes as it is; unknown fields are ignored.
public struct MessageTemplate: Sendable, Equatable, Codable {
    public struct Button: Sendable, Equatable, Codable {
        public var type: String
        public var text: String?
        public var url: String?
        /// A COPY_CODE button's sample code.
        public var example: ButtonExample?
        public init(type: String, text: String? = nil, url: String? = nil, example: ButtonExample? = nil) {
            self.type = type
            self.text = text
            self.url = url
            self.example = example
        }
    }

    /// Meta writes a button's `example` as a string or a list of strings.
    public enum ButtonExample: Sendable, Equatable, Codable {
        case one(String)
        case many([String])
        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .one(s) } else { self = .many(try c.decode([String].self)) }
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .one(let s): try c.encode(s)
            case .many(let list): try c.encode(list)
            }
        }
    }

    /// A button that takes a value at send: a URL button with a placeholder and a COPY_CODE button must have
    /// one; a QUICK_REPLY button may have a payload.
    public struct ButtonSlot: Sendable, Equatable {
        public var index: Int
        public var kind: TemplateParameters.Button.Kind
        public var required: Bool
        public var label: String
    }

    public struct Component: Sendable, Equatable, Codable {
        public var type: String
        public var format: String?
        public var text: String?
        public var buttons: [Button]?
        public init(type: String, format: String? = nil, text: String? = nil, buttons: [Button]? = nil) {
            self.type = type
            self.format = format
            self.text = text
            self.buttons = buttons
        }
    }

    public var id: String?
    public var name: String
    public var language: String
    public var status: String
    public var category: String?
    /// POSITIONAL ({{1}}) unless Meta says NAMED ({{first_name}}).
    public var parameterFormat: String?
    public var components: [Component]

    enum CodingKeys: String, CodingKey {
        case id, name, language, status, category, components
        case parameterFormat = "parameter_format"
    }

    public init(
        id: String? = nil,
        name: String,
        language: String,
        status: String,
        category: String? = nil,
        parameterFormat: String? = nil,
        components: [Component]
    ) {
        self.id = id
        self.name = name
        self.language = language
        self.status = status
        self.category = category
        self.parameterFormat = parameterFormat
        self.components = components
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        language = try c.decode(String.self, forKey: .language)
        status = (try c.decodeIfPresent(String.self, forKey: .status) ?? "").uppercased()
        category = try c.decodeIfPresent(String.self, forKey: .category)
        parameterFormat = try c.decodeIfPresent(String.self, forKey: .parameterFormat)
        components = try c.decodeIfPresent([Component].self, forKey: .components) ?? []
    }

    public func component(_ type: String) -> Component? { components.first { $0.type.uppercased() == type } }

    /// The distinct placeholders of a text, in order of first appearance: `{{1}}` → "1", `{{first_name}}` → "first_name".
    public static func placeholders(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let name = String(rest[open.upperBound..<close.lowerBound]).trimmingSpaces
            if !found.contains(name) { found.append(name) }
            rest = rest[close.upperBound...]
        }
        return found
    }

    public var headerPlaceholders: [String] { component("HEADER")?.text.map(Self.placeholders) ?? [] }
    public var bodyPlaceholders: [String] { component("BODY")?.text.map(Self.placeholders) ?? [] }
    /// One parameter per URL button with a placeholder (Meta allows one per button).
    public var buttonPlaceholders: [String] {
        (component("BUTTONS")?.buttons ?? []).flatMap { b in b.url.map(Self.placeholders).map { Array($0.prefix(1)) } ?? [] }
    }

    public var isNamed: Bool { parameterFormat?.uppercased() == "NAMED" }

    /// TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION; nil without a header.
    public var headerFormat: String? {
        guard let header = component("HEADER") else { return nil }
        return (header.format ?? "TEXT").uppercased()
    }

    /// The media a header takes, when it is an IMAGE, VIDEO or DOCUMENT header.
    public var headerMedia: TemplateParameters.MediaKind? { headerFormat.flatMap { TemplateParameters.MediaKind(rawValue: $0.lowercased()) } }

    /// The buttons that take a value, by their index in the template.
    public var buttonSlots: [ButtonSlot] {
        (component("BUTTONS")?.buttons ?? []).enumerated().compactMap { index, b in
            let label = b.text ?? b.type
            switch b.type.uppercased() {
            case "URL":
                guard let url = b.url, !Self.placeholders(in: url).isEmpty else { return nil }
                return ButtonSlot(index: index, kind: .url, required: true, label: label)
            case "COPY_CODE": return ButtonSlot(index: index, kind: .copyCode, required: true, label: label)
            case "QUICK_REPLY": return ButtonSlot(index: index, kind: .quickReply, required: false, label: label)
            default: return nil
            }
        }
    }

    /// The body with each placeholder replaced: positional values fill {{1}}, {{2}} … in order; named
    /// ones fill their name. A placeholder without a value stays as it is.
    public func renderedBody(positional: [String] = [], named: [String: String] = [:]) -> String {
        var text = component("BODY")?.text ?? ""
        for (i, value) in positional.enumerated() { text = text.replacingAll("{{\(i + 1)}}", with: value) }
        for (name, value) in named { text = text.replacingAll("{{\(name)}}", with: value) }
        return text
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
