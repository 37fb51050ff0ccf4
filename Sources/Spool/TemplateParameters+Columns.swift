import WabulkBase

/// The spool's three parameter columns (`header`, `body`, `buttons`), each compact JSON. Plain positional
/// values stay lists of strings, as in spools written before named, media and button parameters, so those
/// read unchanged and the common case costs no more to store.
extension TemplateParameters {
    var headerColumn: String {
        switch header {
        case nil: return "[]"
        case .text(let texts): return Self.column(texts)
        case .media(let media):
            var source: [JSONValue.Member]
            switch media.source {
            case .link(let link): source = [.init(key: "link", value: .string(link))]
            case .id(let id): source = [.init(key: "id", value: .string(id))]
            case .file(let file): source = [.init(key: "file", value: .string(file))]
            }
            if let filename = media.filename { source.append(.init(key: "filename", value: .string(filename))) }
            return JSONValue.object([.init(key: media.kind.rawValue, value: .object(source))]).json
        case .location(let l):
            var members: [JSONValue.Member] = [
                .init(key: "latitude", value: .number(l.latitude)), .init(key: "longitude", value: .number(l.longitude)),
            ]
            if let name = l.name { members.append(.init(key: "name", value: .string(name))) }
            if let address = l.address { members.append(.init(key: "address", value: .string(address))) }
            return JSONValue.object([.init(key: "location", value: .object(members))]).json
        }
    }

    var bodyColumn: String { Self.column(body) }

    var buttonsColumn: String {
        // Positional URL suffixes on buttons 0, 1, … are the old shape: a list of strings.
        if buttons.enumerated().allSatisfy({ $0.element.kind == .url && $0.element.index == $0.offset }) {
            return JSONList.encode(buttons.map(\.value))
        }
        return JSONValue.array(
            buttons.map {
                .object([
                    .init(key: "index", value: .number(Double($0.index))), .init(key: "type", value: .string($0.kind.rawValue)),
                    .init(key: "text", value: .string($0.value)),
                ])
            }
        ).json
    }

    private static func column(_ texts: [Text]) -> String {
        guard texts.contains(where: { $0.name != nil }) else { return JSONList.encode(texts.map(\.value)) }
        return JSONValue.array(
            texts.map { t in
                .object((t.name.map { [.init(key: "name", value: .string($0))] } ?? []) + [.init(key: "text", value: .string(t.value))])
            }
        ).json
    }

    /// Reads the columns back; what cannot be read is left out (the send then fails at Meta with 132000 and
    /// is reported, rather than being sent with a guess).
    init(headerColumn: String, bodyColumn: String, buttonsColumn: String) {
        self.init()
        body = Self.texts(bodyColumn)
        if headerColumn != "[]", let value = JSONValue.parse(Array(headerColumn.utf8)) {
            if value.items != nil {
                header = .text(Self.texts(headerColumn))
            } else if let l = value["location"], let latitude = l["latitude"]?.number, let longitude = l["longitude"]?.number {
                header = .location(Location(latitude: latitude, longitude: longitude, name: l["name"]?.string, address: l["address"]?.string))
            } else if let kind = MediaKind.allCases.first(where: { value[$0.rawValue] != nil }), let m = value[kind.rawValue] {
                let source: Media.Source? =
                    m["link"]?.string.map { .link($0) } ?? m["id"]?.string.map { .id($0) } ?? m["file"]?.string.map { .file($0) }
                if let source { header = .media(Media(kind: kind, source: source, filename: m["filename"]?.string)) }
            }
        }
        if buttonsColumn != "[]", let items = JSONValue.parse(Array(buttonsColumn.utf8))?.items {
            buttons = items.enumerated().compactMap { offset, item in
                if let suffix = item.string { return Button(index: offset, kind: .url, value: suffix) }
                guard let index = item["index"]?.integer, let kind = item["type"]?.string.flatMap(Button.Kind.init(rawValue:)),
                    let text = item["text"]?.string
                else { return nil }
                return Button(index: index, kind: kind, value: text)
            }
        }
    }

    private static func texts(_ column: String) -> [Text] {
        guard column != "[]", let items = JSONValue.parse(Array(column.utf8))?.items else { return [] }
        return items.compactMap { item in
            if let value = item.string { return Text(value) }
            guard let value = item["text"]?.string else { return nil }
            return Text(value, name: item["name"]?.string)
        }
    }
}
