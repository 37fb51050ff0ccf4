import CloudAPI
import Contacts
import Foundation
import WabulkBase

/// Turns a manifest's variables into one contact's template parameters: `{field}` placeholders filled
/// from the contact (`{field|fallback}` when it has none), names in the template's order, plain button
/// strings given to the template's URL buttons in order.
struct VariableRendering {
    struct MissingField: Error { var field: String }

    let variables: CampaignManifest.Variables?
    /// The index of each URL button with a placeholder, in order (0, 1, … without a template list).
    private let urlButtonIndexes: [Int]
    private let bodyNames: [String]
    private let headerNames: [String]
    /// Every value string of the manifest, parsed once: a million contacts fill the same few strings.
    private let compiled: [String: [Piece]]

    /// A value string as literal text and `{field|fallback}` placeholders, field names normalized.
    enum Piece {
        case literal(Substring)
        case field(name: String, key: String, fallback: Substring?)
    }

    init(_ variables: CampaignManifest.Variables?, template: MessageTemplate?) {
        self.variables = variables
        urlButtonIndexes =
            template.map { $0.buttonSlots.filter { $0.kind == .url }.map(\.index) }
            ?? Array(0..<(variables?.buttons?.count ?? 0))
        bodyNames = template?.bodyPlaceholders ?? []
        headerNames = template?.headerPlaceholders ?? []
        var strings: [String] = (variables?.buttons ?? []).map(\.value)
        for values in [variables?.body, { if case .text(let v)? = variables?.header { v } else { nil } }()] {
            switch values {
            case .positional(let list)?: strings += list
            case .named(let map)?: strings += map.values
            case nil: break
            }
        }
        compiled = Dictionary(strings.map { ($0, Self.compile($0)) }, uniquingKeysWith: { a, _ in a })
    }

    static func compile(_ item: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(item)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { pieces.append(.literal(rest[..<open])) }
            // "{field}" skips a contact without the field; "{field|fallback}" uses the fallback instead.
            let placeholder = rest[rest.index(after: open)..<close]
            let parts = placeholder.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
            pieces.append(.field(name: name, key: ColumnMapping.normalize(name), fallback: parts.count == 2 ? parts[1] : nil))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.literal(rest)) }
        return pieces
    }

    func parameters(for contact: Contact) -> Result<TemplateParameters, MissingField> {
        do {
            var parameters = TemplateParameters()
            if let body = variables?.body { parameters.body = try texts(body, order: bodyNames, contact) }
            switch variables?.header {
            case nil: break
            case .text(let values): parameters.header = .text(try texts(values, order: headerNames, contact))
            case .media(let kind, let source, let filename):
                let media: TemplateParameters.Media.Source
                switch source {
                case .link(let link): media = .link(link)
                case .id(let id): media = .id(id)
                case .file(let file): media = .file(file)
                }
                parameters.header = .media(.init(kind: kind, source: media, filename: filename))
            case .location(let location): parameters.header = .location(location)
            }
            var next = 0
            for button in variables?.buttons ?? [] {
                let value = try fill(button.value, contact)
                if let index = button.index, let kind = button.kind {
                    parameters.buttons.append(.init(index: index, kind: kind, value: value))
                } else if next < urlButtonIndexes.count {
                    parameters.buttons.append(.init(index: urlButtonIndexes[next], kind: .url, value: value))
                    next += 1
                }
            }
            parameters.buttons.sort { $0.index < $1.index }
            return .success(parameters)
        } catch let missing as MissingField {
            return .failure(missing)
        } catch {
            preconditionFailure("only a missing field is thrown")
        }
    }

    /// Named values in the template's order (names it does not know, which validation refused, last).
    private func texts(_ values: CampaignManifest.Variables.Values, order: [String], _ contact: Contact) throws -> [TemplateParameters.Text] {
        switch values {
        case .positional(let list): return try list.map { TemplateParameters.Text(try fill($0, contact)) }
        case .named(let map):
            let names = order.filter { map[$0] != nil } + map.keys.filter { !order.contains($0) }.sorted()
            return try names.map { TemplateParameters.Text(try fill(map[$0]!, contact), name: $0) }
        }
    }

    /// Fills `{field}` placeholders from the contact; anything else is a literal.
    func fill(_ item: String, _ contact: Contact) throws -> String {
        let pieces = compiled[item] ?? Self.compile(item)
        if pieces.count == 1, case .field(let name, let key, let fallback) = pieces[0] {
            return try value(name: name, key: key, fallback: fallback, contact)
        }
        var text = ""
        for piece in pieces {
            switch piece {
            case .literal(let literal): text += literal
            case .field(let name, let key, let fallback): text += try value(name: name, key: key, fallback: fallback, contact)
            }
        }
        return text
    }

    private func value(name: String, key: String, fallback: Substring?, _ contact: Contact) throws -> String {
        if let value = contact.value(ofKey: key) { return value }
        if let fallback { return String(fallback) }
        throw MissingField(field: name)
    }
}
