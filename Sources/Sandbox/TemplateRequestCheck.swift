import CloudAPI
import WabulkBase

/// Checks a send's `template` object against the template it names, as Meta does: the parameters of each
/// component against its placeholders (132000, with Meta's kind of details), a media or location header
/// left out or of the wrong type (132012). Templates the sandbox does not list are not checked, so tests
/// can send any name.
enum TemplateRequestCheck {
    struct Refusal: Error, Equatable {
        var code: Int
        var details: String
    }

    static func check(_ template: JSONValue, against t: MessageTemplate) -> Refusal? {
        let components = template["components"]?.items ?? []
        func parameters(_ type: String) -> [JSONValue]? {
            components.first { $0["type"]?.string?.lowercased() == type }?["parameters"]?.items
        }
        // Header.
        let header = parameters("header")
        if let kind = t.headerMedia {
            guard let first = header?.first, first["type"]?.string == kind.rawValue,
                first[kind.rawValue]?["id"]?.string != nil || first[kind.rawValue]?["link"]?.string != nil
            else {
                return Refusal(
                    code: 132012,
                    details:
                        "header: Format mismatch, expected \(kind.rawValue.uppercased()), received \(header?.first?["type"]?.string?.uppercased() ?? "nothing")"
                )
            }
        } else if t.headerFormat == "LOCATION" {
            guard let location = header?.first?["location"], location["latitude"] != nil, location["longitude"] != nil else {
                return Refusal(
                    code: 132012,
                    details: "header: Format mismatch, expected LOCATION, received \(header?.first?["type"]?.string?.uppercased() ?? "nothing")"
                )
            }
        } else if let refusal = texts(header ?? [], expected: t.headerPlaceholders, named: t.isNamed, part: "header") {
            return refusal
        }
        if let refusal = texts(parameters("body") ?? [], expected: t.bodyPlaceholders, named: t.isNamed, part: "body") { return refusal }
        // Buttons: each slot that needs a value has one of its kind; no value for a button that takes none.
        let slots = t.buttonSlots
        var given: [Int: JSONValue] = [:]
        for component in components where component["type"]?.string == "button" {
            guard let index = component["index"]?.string.flatMap(Int.init), let slot = slots.first(where: { $0.index == index }),
                component["sub_type"]?.string == slot.kind.rawValue, given[index] == nil
            else {
                return Refusal(
                    code: 132000,
                    details:
                        "buttons: button at index \(component["index"]?.string ?? "?") does not take a \(component["sub_type"]?.string ?? "") parameter"
                )
            }
            given[index] = component["parameters"]?.items?.first
        }
        for slot in slots where slot.required {
            let value: String?
            switch slot.kind {
            case .url: value = given[slot.index]?["text"]?.string
            case .copyCode: value = given[slot.index]?["coupon_code"]?.string
            case .quickReply: value = given[slot.index]?["payload"]?.string
            }
            if value?.isEmpty != false {
                return Refusal(code: 132000, details: "buttons: parameter for button at index \(slot.index) (\(slot.kind.rawValue)) is missing")
            }
        }
        return nil
    }

    private static func texts(_ given: [JSONValue], expected: [String], named: Bool, part: String) -> Refusal? {
        let texts = given.filter { $0["type"]?.string == "text" }
        guard texts.count == expected.count else {
            return Refusal(
                code: 132000,
                details: "\(part): number of localizable_params (\(texts.count)) does not match the expected number of params (\(expected.count))"
            )
        }
        guard named else { return nil }
        let names = texts.map { $0["parameter_name"]?.string }
        if names.contains(nil) || Set(names.compactMap { $0 }) != Set(expected) {
            return Refusal(code: 132000, details: "\(part): Parameter name is missing or invalid")
        }
        return nil
    }
}
