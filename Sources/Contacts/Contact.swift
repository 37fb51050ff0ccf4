/// One person in the registry, keyed by E.164 number.
public struct Contact: Sendable, Equatable, Codable {
    public var phone: String
    public var name: String
    public var tags: [String]
    /// Every other spreadsheet column, by its header as written; templates use them as `{field}`.
    public var fields: [String: String]
    public var active: Bool
    public var optedOut: Bool
    public var optedOutAt: String?
    public var optOutSource: String?

    public init(phone: String, name: String = "", tags: [String] = [], fields: [String: String] = [:],
                active: Bool = true, optedOut: Bool = false, optedOutAt: String? = nil, optOutSource: String? = nil) {
        self.phone = phone
        self.name = name
        self.tags = tags
        self.fields = fields
        self.active = active
        self.optedOut = optedOut
        self.optedOutAt = optedOutAt
        self.optOutSource = optOutSource
    }

    /// Whether a campaign may message this contact.
    public var isReachable: Bool { active && !optedOut }

    /// A template variable `{field}`: name and phone, then custom fields, header case and spaces ignored.
    public func value(of field: String) -> String? {
        let key = ColumnMapping.normalize(field)
        switch key {
        case "name", "fullname": return name.isEmpty ? nil : name
        case "phone", "phonenumber", "mobile": return phone
        case "firstname":
            if let v = fields.first(where: { ColumnMapping.normalize($0.key) == key })?.value, !v.isEmpty { return v }
            return name.split(separator: " ").first.map(String.init)
        default:
            return fields.first(where: { ColumnMapping.normalize($0.key) == key }).flatMap { $0.value.isEmpty ? nil : $0.value }
        }
    }
}
