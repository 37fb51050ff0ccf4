import Foundation

/// Finds the name, phone and tag columns of a header row by their usual aliases (product.md),
/// case- and space-insensitive; every other column is kept as a custom field.
public struct ColumnMapping: Sendable, Equatable {
    public var phone: Int
    public var name: Int?
    public var firstName: Int?
    public var lastName: Int?
    public var tags: Int?
    /// Custom field columns: index and header as written.
    public var fields: [(index: Int, header: String)]
    public var headers: [String]

    static let phoneAliases = [
        "phone", "phonenumber", "mobile", "mobilenumber", "mobilephone", "whatsapp",
        "whatsappnumber", "phone1value", "cell", "cellphone", "number", "contactnumber", "msisdn",
        "telephone", "tel", "telefono", "teléfono", "telefon", "mobilephonenumber", "primaryphone",
    ]
    static let nameAliases = ["name", "fullname", "contactname", "displayname"]
    static let firstNameAliases = ["firstname", "givenname", "first"]
    static let lastNameAliases = ["lastname", "familyname", "surname", "last"]
    static let tagAliases = ["tags", "tag", "labels", "label", "groups", "group", "groupmembership"]

    /// "Phone 1 - Value" → "phone1value".
    public static func normalize(_ header: String) -> String {
        // Most headers are ASCII: a byte loop gives the same key without a lowercased copy and a character-set
        // lookup per scalar (templates look up a contact's fields by this key once per placeholder).
        var header = header
        if let ascii = header.withUTF8({ bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                var n = 0
                for b in bytes {
                    switch b {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): out[n] = b
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): out[n] = b + 32
                    default: continue
                    }
                    n += 1
                }
                return n
            }
        }) {
            return ascii
        }
        return String(header.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    public init?(headers: [String]) {
        let keys = headers.map(Self.normalize)
        func find(_ aliases: [String]) -> Int? {
            for alias in aliases { if let i = keys.firstIndex(of: alias) { return i } }
            return nil
        }
        guard let phone = find(Self.phoneAliases) else { return nil }
        self.phone = phone
        name = find(Self.nameAliases)
        firstName = find(Self.firstNameAliases)
        lastName = find(Self.lastNameAliases)
        tags = find(Self.tagAliases)
        let used = Set([phone, name, tags].compactMap { $0 })
        fields = headers.enumerated().filter { !used.contains($0.offset) && !$0.element.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { ($0.offset, $0.element.trimmingCharacters(in: .whitespaces)) }
        self.headers = headers
    }

    public static func == (a: ColumnMapping, b: ColumnMapping) -> Bool {
        a.phone == b.phone && a.name == b.name && a.tags == b.tags && a.headers == b.headers
    }

    /// Where a Google Contacts cell's second and later numbers are kept.
    public static let otherPhonesField = "Other phones"

    /// The values of a Google Contacts multi-value cell ("+91 98765 43210 ::: 98765 43211"), empty ones left
    /// out; nil for a cell without the separator (the common case, found without splitting anything).
    public static func multipleValues(_ cell: String) -> [String]? {
        guard cell.utf8.contains(0x3A), cell.contains(":::") else { return nil }
        let values = cell.components(separatedBy: ":::").map(\.trimmedCell).filter { !$0.isEmpty }
        return values.count > 1 ? values : values.isEmpty ? nil : values
    }

    /// Splits "vip, delhi;staff|x" and Google's "a ::: b" into clean tags, each once. Works on the bytes (every
    /// separator is ASCII): this runs once a row in a million-row import.
    public static func splitTags(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        let bytes = text.utf8
        var tags: [String] = []
        var start = bytes.startIndex
        var i = start
        func emit(_ end: String.Index) {
            let tag = String(decoding: bytes[start..<end], as: UTF8.self).trimmedCell
            if !tag.isEmpty && tag != "* myContacts" && !tags.contains(tag) { tags.append(tag) }
        }
        while i < bytes.endIndex {
            let byte = bytes[i]
            var width = 0
            if byte == 0x2C || byte == 0x3B || byte == 0x7C {
                width = 1
            }  // , ; |
            else if byte == 0x3A, bytes[i...].starts(with: [0x3A, 0x3A, 0x3A]) {
                width = 3
            }  // :::
            if width > 0 {
                emit(i)
                i = bytes.index(i, offsetBy: width)
                start = i
            } else {
                i = bytes.index(after: i)
            }
        }
        emit(bytes.endIndex)
        return tags
    }
}
