import Foundation
import Spool
import WabulkBase

/// Parses and validates a manifest, collecting every problem rather than stopping at the first.
public enum ManifestReader {
    static let knownKeys: Set<String> = [
        "id", "name", "description", "template", "audience", "variables", "startAt",
        "sendWindow", "rate", "dryRun", "onLimit", "variants", "repeat", "trigger", "until", "winnerAfter", "holdout",
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
            if let earlier = audience.campaign,
                earlier.count > 100 || earlier.range(of: #"^[A-Za-z0-9][A-Za-z0-9_-]*$"#, options: .regularExpression) == nil
            {
                // A campaign id names a file under var/campaigns: nothing else may pass for one.
                problems.append(.init(field: "audience.campaign", reason: "\"\(earlier)\" is not a campaign id"))
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

        let schedule = readRepeat(object["repeat"], problems: &problems)
        if schedule != nil, startAt != nil {
            problems.append(.init(field: "startAt", reason: "does not go with repeat (each occurrence starts at its time)"))
        }
        let winnerAfter = string(object["winnerAfter"], "winnerAfter", required: false)
        var holdout: Int?
        if let h = object["holdout"] {
            holdout = h.integer
            if !(holdout.map { (1...99).contains($0) } ?? false) {
                problems.append(.init(field: "holdout", reason: "must be a whole percent from 1 to 99"))
            }
        }
        if let winnerAfter, FollowUpAudience.duration(winnerAfter) == nil {
            problems.append(.init(field: "winnerAfter", reason: "\"\(winnerAfter)\" is not a duration like 6h or 1d"))
        }
        if (winnerAfter == nil) != (object["holdout"] == nil) {
            problems.append(.init(field: winnerAfter == nil ? "winnerAfter" : "holdout", reason: "winnerAfter and holdout go together"))
        }
        if winnerAfter != nil, variants == nil { problems.append(.init(field: "winnerAfter", reason: "only goes with variants")) }
        let trigger = string(object["trigger"], "trigger", required: false)
        if let trigger {
            if trigger != "contact-added" { problems.append(.init(field: "trigger", reason: "\"\(trigger)\" is not contact-added")) }
            if schedule != nil { problems.append(.init(field: "trigger", reason: "does not go with repeat")) }
            if audience.phones != nil || audience.campaign != nil {
                problems.append(.init(field: "trigger", reason: "needs an audience of tags or all contacts (who enters it later is greeted)"))
            }
        }
        let until = string(object["until"], "until", required: false)
        if let until {
            if trigger == nil {
                problems.append(.init(field: "until", reason: "only goes with trigger (a recurring campaign's end is repeat.until)"))
            }
            if Timestamp.parse(until) == nil { problems.append(.init(field: "until", reason: "\"\(until)\" is not an ISO 8601 time")) }
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
            variants: variants,
            winnerAfter: winnerAfter,
            holdout: holdout,
            repeat: schedule,
            trigger: trigger,
            until: until
        )
    }

    static let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// `"repeat": {"every": "week", "on": "mon", "at": "10:00", "timezone": "Asia/Kolkata"}`.
    static func readRepeat(_ value: JSONValue?, problems: inout [ManifestProblem]) -> CampaignManifest.Repeat? {
        guard let value else { return nil }
        guard value.isObject else {
            problems.append(.init(field: "repeat", reason: "must be an object with every, at and timezone"))
            return nil
        }
        for member in value.members ?? [] where !["every", "on", "at", "timezone", "until", "excludePrevious"].contains(member.key) {
            problems.append(.init(field: "repeat.\(member.key)", reason: "unknown key"))
        }
        let before = problems.count
        let every = value["every"]?.string.flatMap(CampaignManifest.Repeat.Every.init(rawValue:))
        if every == nil { problems.append(.init(field: "repeat.every", reason: "must be \"day\" or \"week\"")) }
        let on = value["on"]?.string
        if every == .week, !(on.map(weekdays.contains) ?? false) {
            problems.append(.init(field: "repeat.on", reason: "a weekly campaign needs its day: one of \(weekdays.joined(separator: ", "))"))
        }
        if every == .day, on != nil { problems.append(.init(field: "repeat.on", reason: "only goes with \"every\": \"week\"")) }
        let at = value["at"]?.string ?? ""
        if SendWindowSchedule.minutes(at) == nil { problems.append(.init(field: "repeat.at", reason: "\"\(at)\" is not HH:MM")) }
        let zone = value["timezone"]?.string ?? ""
        if TimeZone(identifier: zone) == nil {
            problems.append(.init(field: "repeat.timezone", reason: "\"\(zone)\" is not a time zone like Asia/Kolkata"))
        }
        let until = value["until"]?.string
        if let until, Timestamp.parse(until) == nil { problems.append(.init(field: "repeat.until", reason: "\"\(until)\" is not an ISO 8601 time")) }
        var excludePrevious: Bool?
        if let e = value["excludePrevious"] {
            if let b = e.bool {
                excludePrevious = b
            } else {
                problems.append(.init(field: "repeat.excludePrevious", reason: "must be true or false"))
            }
        }
        guard problems.count == before, let every else { return nil }
        return .init(every: every, on: on, at: at, timezone: zone, until: until, excludePrevious: excludePrevious)
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
