import Foundation

/// The templates a manifest may use: var/templates.json, in the shape of Meta's
/// GET /{WABA_ID}/message_templates answer (`{"data": [...]}` or a bare list). Until template sync
/// lands, the operator provides this file; without it, template checks are skipped.
public struct TemplateCatalog: Sendable, Equatable {
    public struct Template: Sendable, Equatable {
        public var name: String
        public var language: String
        public var status: String
        public var headerPlaceholders: Int
        public var bodyPlaceholders: Int
        public var buttonPlaceholders: Int
    }

    public var templates: [Template]

    public init(templates: [Template]) { self.templates = templates }

    /// nil when there is no file; a file that cannot be read is an empty catalog (every template unknown).
    public static func load(_ url: URL) -> TemplateCatalog? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        let object = try? JSONSerialization.jsonObject(with: data)
        let list = (object as? [String: Any])?["data"] as? [[String: Any]] ?? object as? [[String: Any]] ?? []
        return TemplateCatalog(templates: list.compactMap { t in
            guard let name = t["name"] as? String, let language = t["language"] as? String else { return nil }
            var header = 0, body = 0, buttons = 0
            for component in t["components"] as? [[String: Any]] ?? [] {
                switch (component["type"] as? String ?? "").uppercased() {
                case "HEADER": header = placeholders(in: component["text"] as? String ?? "")
                case "BODY": body = placeholders(in: component["text"] as? String ?? "")
                case "BUTTONS":
                    for button in component["buttons"] as? [[String: Any]] ?? [] { buttons += min(1, placeholders(in: button["url"] as? String ?? "")) }
                default: break
                }
            }
            return Template(name: name, language: language, status: (t["status"] as? String ?? "").uppercased(),
                            headerPlaceholders: header, bodyPlaceholders: body, buttonPlaceholders: buttons)
        })
    }

    /// Distinct `{{1}}` / `{{first_name}}` placeholders in a component's text.
    static func placeholders(in text: String) -> Int {
        var found = Set<String>()
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            found.insert(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return found.count
    }

    /// Every way the manifest does not fit the catalog.
    public func problems(for manifest: CampaignManifest) -> [ManifestProblem] {
        let name = manifest.template.name, language = manifest.template.language
        let sameName = templates.filter { $0.name == name }
        guard !sameName.isEmpty else {
            return [.init(field: "template.name", reason: "no template \"\(name)\" in the template list")]
        }
        guard let t = sameName.first(where: { $0.language == language }) else {
            return [.init(field: "template.language", reason: "\"\(name)\" exists in \(sameName.map(\.language).sorted().joined(separator: ", ")), not in \(language)")]
        }
        var problems: [ManifestProblem] = []
        if t.status != "APPROVED" {
            problems.append(.init(field: "template", reason: "\"\(name)\" (\(language)) is \(t.status), not APPROVED"))
        }
        let given = manifest.variables
        for (part, expected, count) in [("header", t.headerPlaceholders, given?.header?.count ?? 0),
                                        ("body", t.bodyPlaceholders, given?.body?.count ?? 0),
                                        ("buttons", t.buttonPlaceholders, given?.buttons?.count ?? 0)] where expected != count {
            problems.append(.init(field: "variables.\(part)", reason: "the template's \(part) has \(expected) placeholder\(expected == 1 ? "" : "s"); \(count) given"))
        }
        return problems
    }
}
