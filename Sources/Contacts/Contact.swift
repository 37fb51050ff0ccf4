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
    /// What an opt-out covers: everything, or marketing only (Meta's 131050). Nil while not opted out.
    public var optOutScope: OptOutScope?

    /// Everything, or marketing templates only: the person turned marketing off in WhatsApp, which leaves
    /// utility and authentication messages deliverable.
    public enum OptOutScope: String, Sendable, Codable { case all, marketing }

    public init(
        phone: String,
        name: String = "",
        tags: [String] = [],
        fields: [String: String] = [:],
        active: Bool = true,
        optedOut: Bool = false,
        optedOutAt: String? = nil,
        optOutSource: String? = nil,
        optOutScope: OptOutScope? = nil
    ) {
        self.phone = phone
        self.name = name
        self.tags = tags
        self.fields = fields
        self.active = active
        self.optedOut = optedOut
        self.optedOutAt = optedOutAt
        self.optOutSource = optOutSource
        self.optOutScope = optedOut ? (optOutScope ?? .all) : nil
    }

    /// Whether a campaign may message this contact.
    public var isReachable: Bool { active && !optedOut }

    /// Whether a campaign of a template in `category` may message this contact (an unknown category counts
    /// as marketing).
    public func isReachable(category: String?) -> Bool {
        guard active else { return false }
        guard optedOut else { return true }
        return optOutScope == .marketing && category.map { $0.uppercased() != "MARKETING" } == true
    }

    /// A template variable `{field}`: name and phone, then custom fields, header case and spaces ignored.
    public func value(of field: String) -> String? {
        value(ofKey: ColumnMapping.normalize(field))
    }

    /// `value(of:)` for a field name already normalized (`ColumnMapping.normalize`).
    public func value(ofKey key: String) -> String? {
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
