import CloudAPI
import Contacts
import Foundation
import WabulkBase

/// What staff ask for: `{"share": {"text": "…"}}`, or a template rendered to text
/// (`{"share": {"template": {"name": …, "language": …}, "variables": {"body": [...]}}}`), with an
/// optional `phone` (any spelling) and `name` for the output files.
public struct ShareRequest: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case text(String)
        case template(name: String, language: String, positional: [String], named: [String: String])
    }

    public var source: Source
    public var phone: String?
    public var name: String?

    public init(source: Source, phone: String? = nil, name: String? = nil) {
        self.source = source
        self.phone = phone
        self.name = name
    }

    public static func read(_ data: Data) throws(ShareError) -> ShareRequest {
        try read(object: JSONValue.parse(bytes: data) ?? .null)
    }

    /// A request already parsed (an inbox file is parsed once to learn what it is).
    public static func read(object: JSONValue) throws(ShareError) -> ShareRequest {
        guard let share = object["share"], share.isObject else {
            throw .invalid(field: "share", reason: "expected {\"share\": {\"text\": \"…\"}} or {\"share\": {\"template\": {…}}}")
        }
        let phone = share["phone"]?.string
        let name = share["name"]?.string
        if let text = share["text"]?.string {
            guard !text.isEmpty else { throw .invalid(field: "share.text", reason: "the text is empty") }
            return ShareRequest(source: .text(text), phone: phone, name: name)
        }
        guard let template = share["template"], template.isObject else {
            throw .invalid(field: "share", reason: "give either \"text\" or \"template\"")
        }
        guard let templateName = template["name"]?.string, !templateName.isEmpty else {
            throw .invalid(field: "share.template.name", reason: "missing")
        }
        let language = template["language"]?.string ?? "en_US"
        let body = share["variables"]?["body"]
        var positional: [String] = []
        var named: [String: String] = [:]
        if let list = body?.items {
            positional = list.map(\.plainText)
        } else if let members = body?.members {
            for member in members where named[member.key] == nil { named[member.key] = member.value.plainText }
        } else if body != nil {
            throw .invalid(field: "share.variables.body", reason: "a list (positional) or an object (named)")
        }
        return ShareRequest(
            source: .template(name: templateName, language: language, positional: positional, named: named),
            phone: phone,
            name: name
        )
    }

    /// The text to share: as given, or the template's body with the variables filled in.
    public func text(templates: [MessageTemplate]) throws(ShareError) -> String {
        switch source {
        case .text(let t): return t
        case .template(let name, let language, let positional, let named):
            guard let t = templates.first(where: { $0.name == name && $0.language == language }) else {
                let languages = templates.filter { $0.name == name }.map(\.language).sorted()
                throw .invalid(
                    field: "share.template",
                    reason: languages.isEmpty
                        ? "no template \"\(name)\" in the template list"
                        : "\"\(name)\" exists in \(languages.joined(separator: ", ")), not in \(language)"
                )
            }
            let expected = t.bodyPlaceholders
            let missing = t.parameterFormat == "NAMED" ? expected.filter { named[$0] == nil } : Array(expected.dropFirst(positional.count))
            if !missing.isEmpty {
                throw .invalid(
                    field: "share.variables.body",
                    reason:
                        "the template's body has \(expected.count) placeholder\(expected.count == 1 ? "" : "s"); missing \(missing.map { "{{\($0)}}" }.joined(separator: ", "))"
                )
            }
            return t.renderedBody(positional: positional, named: named)
        }
    }

    /// The number as wa.me wants it: the full international number, digits only.
    public func phoneDigits(normalizer: PhoneNormalizer) throws(ShareError) -> String? {
        guard let phone, !phone.isEmpty else { return nil }
        switch normalizer.normalize(phone) {
        case .valid(let e164): return String(e164.dropFirst())
        case .invalid(let reason): throw .invalid(field: "share.phone", reason: "\(phone): \(reason)")
        }
    }
}

public enum ShareError: Error, Equatable, CustomStringConvertible {
    case invalid(field: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
