import CloudAPI
import Foundation
import Templates

/// The templates a manifest may use, from the cache `wabulk templates sync` (and the daemon's hourly
/// refresh) keeps in var/templates.json. Without a cache, template checks are skipped.
public struct TemplateCatalog: Sendable, Equatable {
    public var templates: [MessageTemplate]

    public init(templates: [MessageTemplate]) { self.templates = templates }

    /// nil when there is no cache; a cache that cannot be read is an empty catalog (every template unknown).
    public static func load(_ url: URL) -> TemplateCatalog? {
        do {
            guard let cache = try TemplateCache.load(url) else { return nil }
            return TemplateCatalog(templates: cache.data)
        } catch {
            return TemplateCatalog(templates: [])
        }
    }

    /// Every way the manifest does not fit the catalog.
    public func problems(for manifest: CampaignManifest) -> [ManifestProblem] {
        let name = manifest.template.name
        let language = manifest.template.language
        let sameName = templates.filter { $0.name == name }
        guard !sameName.isEmpty else {
            return [.init(field: "template.name", reason: "no template \"\(name)\" in the template list")]
        }
        guard let t = sameName.first(where: { $0.language == language }) else {
            return [
                .init(
                    field: "template.language",
                    reason: "\"\(name)\" exists in \(sameName.map(\.language).sorted().joined(separator: ", ")), not in \(language)"
                )
            ]
        }
        var problems: [ManifestProblem] = []
        if t.status != "APPROVED" {
            problems.append(.init(field: "template", reason: "\"\(name)\" (\(language)) is \(t.status), not APPROVED"))
        }
        if t.parameterFormat?.uppercased() == "NAMED" {
            // Meta wants each parameter's name in the send body; the spool carries positional values only.
            problems.append(
                .init(
                    field: "template",
                    reason:
                        "\"\(name)\" uses named parameters (\(t.bodyPlaceholders.map { "{{\($0)}}" }.joined(separator: ", "))), which wabulk does not send yet; use a positional template"
                )
            )
        }
        let given = manifest.variables
        for (part, expected, count) in [
            ("header", t.headerPlaceholders.count, given?.header?.count ?? 0),
            ("body", t.bodyPlaceholders.count, given?.body?.count ?? 0),
            ("buttons", t.buttonPlaceholders.count, given?.buttons?.count ?? 0),
        ] where expected != count {
            problems.append(
                .init(
                    field: "variables.\(part)",
                    reason: "the template's \(part) has \(expected) placeholder\(expected == 1 ? "" : "s"); \(count) given"
                )
            )
        }
        return problems
    }
}
