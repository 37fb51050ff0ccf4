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
        let given = manifest.variables
        problems += Self.headerProblems(given?.header, template: t)
        problems += Self.textProblems(given?.body, expected: t.bodyPlaceholders, named: t.isNamed, part: "body")
        problems += Self.buttonProblems(given?.buttons, slots: t.buttonSlots)
        return problems
    }

    /// A body's (or a text header's) values against the template's placeholders: a count for positional
    /// templates, each missing, extra or wrongly cased name for NAMED ones.
    static func textProblems(_ values: CampaignManifest.Variables.Values?, expected: [String], named: Bool, part: String) -> [ManifestProblem] {
        let field = "variables.\(part)"
        let list = expected.map { "{{\($0)}}" }.joined(separator: ", ")
        switch values {
        case .named(let map) where named:
            var problems: [ManifestProblem] = []
            var missing = expected.filter { name in map[name] == nil && !map.keys.contains { $0.lowercased() == name.lowercased() } }
            for key in map.keys.sorted() where !expected.contains(key) {
                if let right = expected.first(where: { $0.lowercased() == key.lowercased() }) {
                    problems.append(.init(field: "\(field).\(key)", reason: "wrong case: the template names it {{\(right)}}"))
                } else if let near = missing.min(by: { Self.distance(key, $0) < Self.distance(key, $1) }), Self.distance(key, near) <= 3 {
                    // A misspelt name is one mistake, not a missing name and an unknown one.
                    missing.removeAll { $0 == near }
                    problems.append(.init(field: "\(field).\(key)", reason: "the template's \(part) has no {{\(key)}}: did you mean {{\(near)}}?"))
                } else {
                    problems.append(
                        .init(
                            field: "\(field).\(key)",
                            reason: "the template's \(part) has no {{\(key)}}" + (expected.isEmpty ? "" : " (it has \(list))")
                        )
                    )
                }
            }
            for name in missing { problems.append(.init(field: "\(field).\(name)", reason: "missing: the template's \(part) has \(list)")) }
            return problems
        case .named where !named:
            return [
                .init(
                    field: field,
                    reason: "the template is positional: give a list in the order of \(expected.isEmpty ? "its (no) placeholders" : list)"
                )
            ]
        case .positional(let v) where named && !(v.isEmpty && expected.isEmpty):
            return [
                .init(field: field, reason: "the template uses named parameters: give {\(expected.map { "\"\($0)\": …" }.joined(separator: ", "))}")
            ]
        case nil where named && !expected.isEmpty:
            return expected.map { .init(field: "\(field).\($0)", reason: "missing: the template's \(part) has \(list)") }
        default:
            let count = values?.count ?? 0
            guard count != expected.count else { return [] }
            return [
                .init(
                    field: field,
                    reason: "the template's \(part) has \(expected.count) placeholder\(expected.count == 1 ? "" : "s"); \(count) given"
                )
            ]
        }
    }

    static func headerProblems(_ header: CampaignManifest.Variables.Header?, template t: MessageTemplate) -> [ManifestProblem] {
        let field = "variables.header"
        switch (t.headerFormat, header) {
        case ("LOCATION", .location?): return []
        case ("LOCATION", _):
            return [.init(field: field, reason: "the template's header is a LOCATION: give {\"location\": {\"latitude\": …, \"longitude\": …}}")]
        case (let format?, _) where t.headerMedia != nil:
            let kind = t.headerMedia!.rawValue
            guard case .media(let given, _, _)? = header else {
                return [
                    .init(
                        field: field,
                        reason:
                            "the template's header is \(article(format)) \(format): give {\"\(kind)\": \"https://…\"}, a media id or a file dropped into inbox/"
                    )
                ]
            }
            return given.rawValue == kind
                ? []
                : [
                    .init(
                        field: "\(field).\(given.rawValue)",
                        reason:
                            "the template's header is \(article(format)) \(format), not \(article(given.rawValue.uppercased())) \(given.rawValue.uppercased())"
                    )
                ]
        default:
            switch header {
            case .media(let kind, _, _)?:
                return [
                    .init(
                        field: "\(field).\(kind.rawValue)",
                        reason: "the template has no media header" + (t.headerFormat.map { " (its header is \($0))" } ?? "")
                    )
                ]
            case .location?: return [.init(field: "\(field).location", reason: "the template has no LOCATION header")]
            case .text(let values)?: return textProblems(values, expected: t.headerPlaceholders, named: t.isNamed, part: "header")
            case nil: return textProblems(nil, expected: t.headerPlaceholders, named: t.isNamed, part: "header")
            }
        }
    }

    /// Edits (insert, delete, replace) between two names, ignoring case.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased())
        let b = Array(b.lowercased())
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    private static func article(_ word: String) -> String { word.first.map { "AEIOU".contains($0) } == true ? "an" : "a" }

    /// Buttons given by index must be buttons that take that kind of value; every button that must have a
    /// value has one. Plain strings (the older form) fill the URL buttons in order.
    static func buttonProblems(_ buttons: [CampaignManifest.Variables.Button]?, slots: [MessageTemplate.ButtonSlot]) -> [ManifestProblem] {
        let given = buttons ?? []
        let legacy = given.filter { $0.index == nil }
        let urlSlots = slots.filter { $0.kind == .url }
        var problems: [ManifestProblem] = []
        if !legacy.isEmpty, legacy.count != urlSlots.count {
            problems.append(
                .init(
                    field: "variables.buttons",
                    reason: "the template's buttons have \(urlSlots.count) placeholder\(urlSlots.count == 1 ? "" : "s"); \(legacy.count) given"
                )
            )
        }
        var seen: Set<Int> = []
        for (i, b) in given.enumerated() {
            guard let index = b.index, let kind = b.kind else { continue }
            let field = "variables.buttons[\(i)]"
            guard seen.insert(index).inserted else {
                problems.append(.init(field: field, reason: "button \(index) is given twice"))
                continue
            }
            guard let slot = slots.first(where: { $0.index == index }) else {
                let described = slots.map { "\($0.index) (\($0.kind.rawValue))" }.joined(separator: ", ")
                problems.append(
                    .init(
                        field: field,
                        reason: "the template has no button \(index) that takes a value"
                            + (slots.isEmpty ? "" : "; its buttons that do: \(described)")
                    )
                )
                continue
            }
            if slot.kind != kind {
                problems.append(.init(field: field, reason: "button \(index) (\(slot.label)) is \(slot.kind.rawValue), not \(kind.rawValue)"))
            }
        }
        let coveredByLegacy = legacy.isEmpty ? Set<Int>() : Set(urlSlots.map(\.index))
        for slot in slots where slot.required && !seen.contains(slot.index) && !coveredByLegacy.contains(slot.index) {
            problems.append(.init(field: "variables.buttons", reason: "button \(slot.index) (\(slot.label), \(slot.kind.rawValue)) needs a value"))
        }
        return problems
    }
}
