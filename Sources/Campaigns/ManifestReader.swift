import Foundation
import Spool
import WabulkBase

/// Parses and validates a manifest, collecting every problem rather than stopping at the first.
public enum ManifestReader {
    static let knownKeys: Set<String> = [
        "id", "name", "description", "template", "audience", "variables", "startAt",
        "sendWindow", "rate", "dryRun", "onLimit", "variants",
    ]

    /// `fileName` gives the id when the manifest has none.
    public static func read(_ data: Data, fileName: String) throws(ManifestRejection) -> CampaignManifest {
        guard let object = JSONValue.parse(bytes: data), object.isObject else {
            throw ManifestRejection(problems: [.init(field: "(file)", reason: "not a JSON object")])
        }
        return try read(object: object, fileName: fileName)
    }

    /// A manifest already parsed (an inbox file is parsed once to learn what it is).
    public static func read(object: JSONValue, fileName: String) throws(ManifestRejection) -> CampaignManifest {
        var problems: [ManifestProblem] = []
        /// Unknown and repeated keys of an object, each one problem (a repeated key would leave staff unsure
        /// which of the two values counts).
        func check(_ value: JSONValue, _ prefix: String, known: Set<String>, hint: String = "") {
            var seen: Set<String> = []
            for key in (value.members ?? []).map(\.key) {
                let field = prefix.isEmpty ? key : "\(prefix).\(key)"
                if !known.contains(key) {
                    problems.append(.init(field: field, reason: "unknown key" + hint))
                } else if !seen.insert(key).inserted {
                    problems.append(.init(field: field, reason: "given twice"))
                }
            }
        }
        check(object, "", known: knownKeys)
        let id = object["id"]?.string ?? URL(fileURLWithPath: fileName).deletingPathExtension().lastPathComponent
        if id.isEmpty || id.count > 64 || id.range(of: #"^[A-Za-z0-9][A-Za-z0-9_-]*$"#, options: .regularExpression) == nil {
            problems.append(.init(field: "id", reason: "\"\(id)\" must be 1–64 letters, digits, - or _ (no dots, slashes or spaces)"))
        }
        func string(_ value: JSONValue?, _ field: String, required: Bool) -> String? {
            guard let value else {
                if required { problems.append(.init(field: field, reason: "is required")) }
                return nil
            }
            guard let s = value.string, !s.isEmpty else {
                problems.append(.init(field: field, reason: "must be a non-empty string"))
                return nil
            }
            return s
        }
        func strings(_ value: JSONValue?, _ field: String) -> [String]? {
            guard let value else { return nil }
            let list = value.items?.compactMap(\.string)
            guard let list, list.count == value.items?.count else {
                problems.append(.init(field: field, reason: "must be a list of strings"))
                return nil
            }
            return list
        }
        let name = string(object["name"], "name", required: false)
        let description = string(object["description"], "description", required: false)

        var template = CampaignManifest.Template(name: "", language: "")
        let variants = readVariants(object["variants"], problems: &problems)
        if let variants {
            // Each variant names its own template; the first stands for the campaign where one is shown.
            template = variants.first?.template ?? template
            if object["template"] != nil { problems.append(.init(field: "template", reason: "goes in each variant when variants are given")) }
            if object["variables"] != nil { problems.append(.init(field: "variables", reason: "go in each variant when variants are given")) }
        } else if let t = object["template"], t.isObject {
            template.name = string(t["name"], "template.name", required: true) ?? ""
            template.language = string(t["language"], "template.language", required: true) ?? ""
            check(t, "template", known: ["name", "language"])
        } else {
            problems.append(.init(field: "template", reason: object["template"] == nil ? "is required" : "must be an object with name and language"))
        }

        var audience = CampaignManifest.Audience()
        if let a = object["audience"], a.isObject {
            check(a, "audience", known: ["all", "tags", "match", "phones", "excludeTags", "campaign", "outcome", "after", "excludeReplied"])
            if let all = a["all"] {
                if let b = all.bool { audience.all = b } else { problems.append(.init(field: "audience.all", reason: "must be true or false")) }
            }
            audience.tags = strings(a["tags"], "audience.tags")
            audience.phones = strings(a["phones"], "audience.phones")
            audience.excludeTags = strings(a["excludeTags"], "audience.excludeTags")
            if let m = a["match"] {
                if let s = m.string, let match = CampaignManifest.Audience.Match(rawValue: s) {
                    audience.match = match
                } else {
                    problems.append(.init(field: "audience.match", reason: "must be \"any\" or \"all\""))
                }
            }
            audience.campaign = string(a["campaign"], "audience.campaign", required: false)
            audience.outcome = strings(a["outcome"], "audience.outcome")
            audience.after = string(a["after"], "audience.after", required: false)
            if let r = a["excludeReplied"] {
                if let b = r.bool {
                    audience.excludeReplied = b
                } else {
                    problems.append(.init(field: "audience.excludeReplied", reason: "must be true or false"))
                }
            }
            let kinds = [audience.all == true, audience.tags != nil, audience.phones != nil, audience.campaign != nil].filter { $0 }.count
            if kinds != 1 {
                problems.append(
                    .init(field: "audience", reason: "needs exactly one of \"all\": true, \"tags\": [...], \"phones\": [...] or \"campaign\": \"ID\"")
                )
            }
            if audience.campaign != nil {
                let names = FollowUpAudience.Outcome.allCases.map(\.rawValue)
                if let outcome = audience.outcome, !outcome.isEmpty {
                    for o in outcome where !names.contains(o) {
                        problems.append(.init(field: "audience.outcome", reason: "\"\(o)\" is not one of \(names.joined(separator: ", "))"))
                    }
                } else {
                    problems.append(
                        .init(field: "audience.outcome", reason: "is required with \"campaign\": one or more of \(names.joined(separator: ", "))")
                    )
                }
                if let after = audience.after, FollowUpAudience.duration(after) == nil {
                    problems.append(.init(field: "audience.after", reason: "\"\(after)\" is not a duration like 48h, 30m or 2d"))
                }
            } else {
                for (key, present) in [
                    ("outcome", audience.outcome != nil), ("after", audience.after != nil), ("excludeReplied", audience.excludeReplied != nil),
                ]
                where present {
                    problems.append(.init(field: "audience.\(key)", reason: "only goes with \"campaign\": \"ID\" (a follow-up)"))
                }
            }
            if let tags = audience.tags, tags.isEmpty { problems.append(.init(field: "audience.tags", reason: "is empty")) }
            if let phones = audience.phones, phones.isEmpty { problems.append(.init(field: "audience.phones", reason: "is empty")) }
        } else {
            problems.append(.init(field: "audience", reason: object["audience"] == nil ? "is required" : "must be an object"))
        }

        var variables: CampaignManifest.Variables?
        if let v = object["variables"] {
            if v.isObject {
                check(v, "variables", known: ["header", "body", "buttons"], hint: " (use header, body or buttons)")
                variables = .read(v, problems: &problems)
            } else {
                problems.append(.init(field: "variables", reason: "must be an object"))
            }
        }

        let startAt = string(object["startAt"], "startAt", required: false)
        if let startAt, Timestamp.parse(startAt) == nil {
            problems.append(.init(field: "startAt", reason: "\"\(startAt)\" is not an ISO 8601 time with offset, like 2026-11-01T09:00:00+05:30"))
        }
        var window: CampaignManifest.SendWindow?
        if let w = object["sendWindow"] {
            if let from = w["from"]?.string, let to = w["to"]?.string, let tz = w["timezone"]?.string {
                if TimeZone(identifier: tz) == nil {
                    problems.append(.init(field: "sendWindow.timezone", reason: "\"\(tz)\" is not a time zone like Asia/Kolkata"))
                }
                if SendWindowSchedule.minutes(from) == nil { problems.append(.init(field: "sendWindow.from", reason: "\"\(from)\" is not HH:MM")) }
                if SendWindowSchedule.minutes(to) == nil { problems.append(.init(field: "sendWindow.to", reason: "\"\(to)\" is not HH:MM")) }
                window = .init(from: from, to: to, timezone: tz)
            } else {
                problems.append(.init(field: "sendWindow", reason: "must be {\"from\": \"HH:MM\", \"to\": \"HH:MM\", \"timezone\": \"…\"}"))
            }
        }
        let rate = string(object["rate"], "rate", required: false)
        if let rate, SendRate(parsing: rate) == nil { problems.append(.init(field: "rate", reason: "\"\(rate)\" is not a rate like 20/min")) }
        var dryRun: Bool?
        if let d = object["dryRun"] {
            if let b = d.bool { dryRun = b } else { problems.append(.init(field: "dryRun", reason: "must be true or false")) }
        }
        var onLimit: CampaignManifest.OnLimit?
        if let text = string(object["onLimit"], "onLimit", required: false) {
            onLimit = CampaignManifest.OnLimit(rawValue: text)
            if onLimit == nil { problems.append(.init(field: "onLimit", reason: "\"\(text)\" is not wait or refuse")) }
        }

        guard problems.isEmpty else { throw ManifestRejection(problems: problems) }
        return CampaignManifest(
            id: id,
            name: name,
            description: description,
            template: template,
            audience: audience,
            variables: variables,
            startAt: startAt,
            sendWindow: window,
            rate: rate,
            dryRun: dryRun,
            onLimit: onLimit,
            variants: variants
        )
    }

    /// `"variants": [{"template": {...}, "variables": {...}, "share": 50}, ...]`: 2 to 5, shares summing to 100.
    static func readVariants(_ value: JSONValue?, problems: inout [ManifestProblem]) -> [CampaignManifest.Variant]? {
        guard let value else { return nil }
        guard let items = value.items, (2...5).contains(items.count) else {
            problems.append(.init(field: "variants", reason: "must be a list of 2 to 5 variants"))
            return []
        }
        var variants: [CampaignManifest.Variant] = []
        for (i, item) in items.enumerated() {
            let field = "variants[\(i)]"
            guard item.isObject else {
                problems.append(.init(field: field, reason: "must be an object with template, variables and share"))
                continue
            }
            for member in item.members ?? [] where !["template", "variables", "share"].contains(member.key) {
                problems.append(.init(field: "\(field).\(member.key)", reason: "unknown key"))
            }
            let name = item["template"]?["name"]?.string ?? ""
            let language = item["template"]?["language"]?.string ?? ""
            if name.isEmpty || language.isEmpty {
                problems.append(.init(field: "\(field).template", reason: "needs a name and a language"))
            }
            var variables: CampaignManifest.Variables?
            if let v = item["variables"] {
                // Problems inside a variant's variables name the variant.
                let before = problems.count
                variables = v.isObject ? .read(v, problems: &problems) : nil
                if !v.isObject { problems.append(.init(field: "variables", reason: "must be an object")) }
                for k in before..<problems.count { problems[k].field = "\(field).\(problems[k].field)" }
            }
            guard let share = item["share"]?.integer, (1...99).contains(share) else {
                problems.append(.init(field: "\(field).share", reason: "must be a whole percent from 1 to 99"))
                continue
            }
            variants.append(.init(template: .init(name: name, language: language), variables: variables, share: share))
        }
        if variants.count == items.count, variants.map(\.share).reduce(0, +) != 100 {
            problems.append(.init(field: "variants", reason: "shares add up to \(variants.map(\.share).reduce(0, +)), not 100"))
        }
        return variants
    }
}
