import Foundation
import WabulkBase

extension CampaignManifest {
    /// What fills the template's placeholders, as staff write it (docs/MANIFEST.md). Values may hold
    /// `{field}` placeholders filled from each contact. Stored in the campaign's record in the same shape.
    public struct Variables: Sendable, Equatable {
        /// `["{name}", "20%"]` for `{{1}}`, `{{2}}`; `{"first_name": "{name}"}` for a NAMED template.
        public enum Values: Sendable, Equatable {
            case positional([String])
            case named([String: String])

            public var count: Int {
                switch self {
                case .positional(let v): v.count
                case .named(let v): v.count
                }
            }
        }

        /// Where a media header's file comes from: `https://…` is a link Meta fetches, a string of digits a
        /// media id from an earlier upload, anything else a file dropped into inbox/ (kept in var/media/).
        public enum MediaSource: Sendable, Equatable {
            case link(String)
            case id(String)
            case file(String)

            public init(_ text: String) {
                if text.lowercased().hasPrefix("https://") || text.lowercased().hasPrefix("http://") {
                    self = .link(text)
                } else if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) {
                    self = .id(text)
                } else {
                    self = .file(text)
                }
            }

            public var text: String {
                switch self {
                case .link(let s), .id(let s), .file(let s): s
                }
            }
        }

        public enum Header: Sendable, Equatable {
            case text(Values)
            case media(kind: TemplateParameters.MediaKind, source: MediaSource, filename: String?)
            case location(TemplateParameters.Location)
        }

        /// One button's value. From a plain string (the older form) the button is the next URL button of the
        /// template, and `index` and `kind` are nil until the template is known.
        public struct Button: Sendable, Equatable {
            public var index: Int?
            public var kind: TemplateParameters.Button.Kind?
            public var value: String
            public init(index: Int? = nil, kind: TemplateParameters.Button.Kind? = nil, value: String) {
                self.index = index
                self.kind = kind
                self.value = value
            }
        }

        public var header: Header?
        public var body: Values?
        public var buttons: [Button]?

        public init(header: Header? = nil, body: Values? = nil, buttons: [Button]? = nil) {
            self.header = header
            self.body = body
            self.buttons = buttons
        }

        /// The manifest key a button object uses for each kind.
        public static let buttonKeys: [(key: String, kind: TemplateParameters.Button.Kind)] = [
            ("url", .url), ("copyCode", .copyCode), ("payload", .quickReply),
        ]
    }
}

extension CampaignManifest.Variables {
    /// Reads the `variables` object, adding a problem for each part that is not one of its forms.
    static func read(_ v: JSONValue, problems: inout [ManifestProblem]) -> Self {
        var variables = Self()
        if let body = v["body"] { variables.body = values(body, "variables.body", problems: &problems) }
        if let header = v["header"] { variables.header = readHeader(header, problems: &problems) }
        if let buttons = v["buttons"] { variables.buttons = readButtons(buttons, problems: &problems) }
        return variables
    }

    private static func values(_ value: JSONValue, _ field: String, problems: inout [ManifestProblem]) -> Values? {
        if let items = value.items {
            let strings = items.compactMap(\.string)
            if strings.count == items.count { return .positional(strings) }
        } else if let members = value.members {
            var named: [String: String] = [:]
            var ok = true
            for member in members {
                guard let text = member.value.string else {
                    problems.append(.init(field: "\(field).\(member.key)", reason: "must be a string"))
                    ok = false
                    continue
                }
                if named[member.key] != nil { problems.append(.init(field: "\(field).\(member.key)", reason: "given twice")) }
                named[member.key] = text
            }
            return ok ? .named(named) : nil
        }
        problems.append(.init(field: field, reason: "must be a list of strings (positional) or an object of names and strings (named)"))
        return nil
    }

    private static func readHeader(_ header: JSONValue, problems: inout [ManifestProblem]) -> Header? {
        let field = "variables.header"
        let mediaKinds = TemplateParameters.MediaKind.allCases.filter { header[$0.rawValue] != nil }
        if let location = header["location"] {
            guard let latitude = location["latitude"]?.number, let longitude = location["longitude"]?.number,
                (-90...90).contains(latitude), (-180...180).contains(longitude)
            else {
                problems.append(
                    .init(
                        field: "\(field).location",
                        reason: "needs \"latitude\" (-90 to 90) and \"longitude\" (-180 to 180) as numbers; \"name\" and \"address\" may follow"
                    )
                )
                return nil
            }
            return .location(.init(latitude: latitude, longitude: longitude, name: location["name"]?.string, address: location["address"]?.string))
        }
        if let kind = mediaKinds.first {
            guard mediaKinds.count == 1, let text = header[kind.rawValue]?.string, !text.isEmpty else {
                problems.append(
                    .init(
                        field: "\(field).\(kind.rawValue)",
                        reason:
                            "give one of \"image\", \"video\" or \"document\": an https:// link, a media id or the name of a file dropped into inbox/"
                    )
                )
                return nil
            }
            for member in header.members ?? [] where member.key != kind.rawValue && member.key != "filename" {
                problems.append(.init(field: "\(field).\(member.key)", reason: "unknown key beside \"\(kind.rawValue)\""))
            }
            let filename = header["filename"]?.string
            if filename != nil, kind != .document {
                problems.append(.init(field: "\(field).filename", reason: "only a document header has a file name"))
            }
            return .media(kind: kind, source: MediaSource(text), filename: filename)
        }
        return values(header, field, problems: &problems).map(Header.text)
    }

    private static func readButtons(_ buttons: JSONValue, problems: inout [ManifestProblem]) -> [Button]? {
        guard let items = buttons.items else {
            problems.append(.init(field: "variables.buttons", reason: "must be a list"))
            return nil
        }
        var out: [Button] = []
        for (i, item) in items.enumerated() {
            let field = "variables.buttons[\(i)]"
            if let suffix = item.string {
                out.append(Button(value: suffix))
                continue
            }
            let kinds = buttonKeys.filter { item[$0.key] != nil }
            guard item.isObject, let index = item["index"]?.integer, index >= 0, kinds.count == 1,
                let value = item[kinds[0].key]?.string
            else {
                problems.append(
                    .init(
                        field: field,
                        reason:
                            "a button is {\"index\": N, \"url\": \"…\"}, {\"index\": N, \"copyCode\": \"…\"} or {\"index\": N, \"payload\": \"…\"} (N from 0, as the template orders its buttons)"
                    )
                )
                continue
            }
            out.append(Button(index: index, kind: kinds[0].kind, value: value))
        }
        return out
    }
}

/// Stored in the campaign's record in the manifest's own shape (and read back from records written
/// before named, media and button objects existed, whose three parts were lists of strings).
extension CampaignManifest.Variables: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func values(_ key: String) throws -> Values? {
            guard c.contains(Key(key)) else { return nil }
            if let list = try? c.decode([String].self, forKey: Key(key)) { return .positional(list) }
            return .named(try c.decode([String: String].self, forKey: Key(key)))
        }
        body = try values("body")
        if let list = try? c.decode([String].self, forKey: Key("header")) {
            header = .text(.positional(list))
        } else if c.contains(Key("header")) {
            let h = try c.nestedContainer(keyedBy: Key.self, forKey: Key("header"))
            if let location = try? h.decode(LocationRecord.self, forKey: Key("location")) {
                header = .location(.init(latitude: location.latitude, longitude: location.longitude, name: location.name, address: location.address))
            } else if let kind = TemplateParameters.MediaKind.allCases.first(where: { h.contains(Key($0.rawValue)) }) {
                header = .media(
                    kind: kind,
                    source: MediaSource(try h.decode(String.self, forKey: Key(kind.rawValue))),
                    filename: try h.decodeIfPresent(String.self, forKey: Key("filename"))
                )
            } else {
                header = try values("header").map(Header.text)
            }
        }
        if c.contains(Key("buttons")) {
            var list = try c.nestedUnkeyedContainer(forKey: Key("buttons"))
            var out: [Button] = []
            while !list.isAtEnd {
                if let suffix = try? list.decode(String.self) {
                    out.append(Button(value: suffix))
                } else {
                    let b = try list.decode([String: ButtonField].self)
                    guard case .index(let index)? = b["index"],
                        let (key, kind) = Self.buttonKeys.first(where: { b[$0.key] != nil }), case .text(let value)? = b[key]
                    else { continue }
                    out.append(Button(index: index, kind: kind, value: value))
                }
            }
            buttons = out
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        func encode(_ values: Values, _ key: String) throws {
            switch values {
            case .positional(let list): try c.encode(list, forKey: Key(key))
            case .named(let map): try c.encode(map, forKey: Key(key))
            }
        }
        if let body { try encode(body, "body") }
        switch header {
        case nil: break
        case .text(let values): try encode(values, "header")
        case .media(let kind, let source, let filename):
            var h = c.nestedContainer(keyedBy: Key.self, forKey: Key("header"))
            try h.encode(source.text, forKey: Key(kind.rawValue))
            try h.encodeIfPresent(filename, forKey: Key("filename"))
        case .location(let l):
            var h = c.nestedContainer(keyedBy: Key.self, forKey: Key("header"))
            try h.encode(LocationRecord(latitude: l.latitude, longitude: l.longitude, name: l.name, address: l.address), forKey: Key("location"))
        }
        if let buttons {
            var list = c.nestedUnkeyedContainer(forKey: Key("buttons"))
            for b in buttons {
                if let index = b.index, let kind = b.kind, let key = Self.buttonKeys.first(where: { $0.kind == kind })?.key {
                    try list.encode(["index": ButtonField.index(index), key: .text(b.value)])
                } else {
                    try list.encode(b.value)
                }
            }
        }
    }

    private struct LocationRecord: Codable {
        var latitude: Double
        var longitude: Double
        var name: String?
        var address: String?
    }

    private enum ButtonField: Codable {
        case index(Int)
        case text(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .index(i) } else { self = .text(try c.decode(String.self)) }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .index(let i): try c.encode(i)
            case .text(let s): try c.encode(s)
            }
        }
    }
}
