import CPhoneNumber

/// The one place libphonenumber (through the CPhoneNumber shim) is called: any spelling of a number
/// to E.164, national numbers read in the default country.
public struct PhoneNormalizer: Sendable {
    /// Region code such as "IN" used for numbers without a country code.
    public let region: String
    private let regionCString: [CChar]
    /// Whether letters are read as keypad digits (1-800-FLOWERS). Off by default: nobody in India types a
    /// mobile number with letters, so a cell like "98450ABCDE" is a placeholder someone typed, and reading it
    /// as 98450 22233 would message a stranger.
    public let allowsLetters: Bool

    /// `defaultCountry` is a calling code ("91") or a region ("IN").
    public init(defaultCountry: String, allowsLetters: Bool = false) throws(ContactsError) {
        self.allowsLetters = allowsLetters
        if let code = Int(defaultCountry) {
            var buffer = [CChar](repeating: 0, count: 8)
            guard phone_region_for_calling_code(Int32(code), &buffer, buffer.count) == 1 else {
                throw .database(reason: "unknown default country calling code \(defaultCountry)")
            }
            region = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            region = defaultCountry.uppercased()
        }
        regionCString = Array(region.utf8CString)
    }

    public enum Verdict: Sendable, Equatable {
        case valid(String)
        case invalid(reason: String)
    }

    public func normalize(_ raw: String) -> Verdict {
        if raw.isBlankCell { return .invalid(reason: "phone number is empty") }
        if !allowsLetters, Self.hasLetters(raw) { return Self.letters }
        let (result, e164) = classify(raw)
        return Self.verdict(result: result, e164: e164, region: region)
    }

    /// libphonenumber's raw answer: its result code and whatever E.164 it formatted. `shortcut: false`
    /// hands libphonenumber the cell exactly as written and asks its own IsValidNumber instead of the
    /// shim's faster check of the same rule (the tests compare both ways).
    func classify(_ raw: String, shortcut: Bool = true) -> (phone_result, String) {
        var input = ContiguousArray<CChar>()
        if !(shortcut && Self.plainDigits(raw.utf8, into: &input)) {
            let trimmed = raw.trimmedCell
            if trimmed.isEmpty { return (PHONE_NOT_A_NUMBER, "") }
            input = trimmed.utf8CString
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { out in
            let result = input.withUnsafeBufferPointer {
                phone_to_e164_checked($0.baseAddress!, regionCString, out.baseAddress!, out.count, shortcut ? 1 : 0)
            }
            let length = out.firstIndex(of: 0) ?? 0
            return (result, String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[..<length]), as: UTF8.self))
        }
    }

    /// Most of a parse is libphonenumber's regexes walking the punctuation of what staff typed. A number
    /// written with nothing but ASCII digits, spaces, dashes, dots and brackets, and at most one plus before
    /// its first digit, gets the same answer written as just its plus and digits: libphonenumber drops what
    /// comes before the first plus or digit, its viability pattern accepts any such spelling of three digits
    /// or more, its extension and second-number rules need letters, `#`, `,`, `;`, `~` or `/`, and everything
    /// after works on the digits alone. That form parses a fifth to a third faster (measured on the benchmark's spellings). Writes it NUL-terminated into
    /// `out`; false (and libphonenumber reads the cell as written) for anything else.
    static func plainDigits(_ text: String.UTF8View, into out: inout ContiguousArray<CChar>) -> Bool {
        guard text.count <= 64 else { return false }
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(24)
        var digits = 0
        for byte in text {
            switch byte {
            case 0x30...0x39:
                out.append(CChar(bitPattern: byte))
                digits += 1
            case 0x2B:  // +
                if digits > 0 || !out.isEmpty { return false }
                out.append(CChar(bitPattern: byte))
            case 0x20, 0x2D, 0x2E, 0x28, 0x29:  // space - . ( )
                continue
            default:
                return false
            }
        }
        guard digits >= 3 else { return false }
        out.append(0)
        return true
    }

    /// The verdict on a cell with letters when they are not read as digits.
    public static let letters = Verdict.invalid(reason: "letters: a phone number is digits only (a placeholder or a typo?)")

    /// Any letter, in any script: ASCII is checked byte by byte, anything else by its Unicode properties.
    public static func hasLetters(_ raw: String) -> Bool {
        var ascii = true
        for byte in raw.utf8 {
            if byte >= 0x80 {
                ascii = false
                break
            }
            if (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A { return true }
        }
        return !ascii && raw.unicodeScalars.contains { $0.properties.isAlphabetic }
    }

    /// The region ("US", "CA") a number in E.164 belongs to; nil when libphonenumber cannot tell. Numbers
    /// sharing a calling code (+1) differ here: Meta's rules can be by country, not by code.
    public static func region(ofE164 e164: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 8)
        guard phone_region_of_number(e164, &buffer, buffer.count) == 1 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func verdict(result: phone_result, e164: String, region: String) -> Verdict {
        switch result {
        case PHONE_VALID: return .valid(e164)
        case PHONE_NOT_A_NUMBER: return .invalid(reason: "not a phone number")
        case PHONE_INVALID_COUNTRY: return .invalid(reason: "unknown country calling code")
        case PHONE_TOO_SHORT: return .invalid(reason: "too short for a phone number")
        case PHONE_TOO_LONG: return .invalid(reason: "too long for a phone number")
        case PHONE_INVALID_LENGTH: return .invalid(reason: "wrong number of digits for \(e164.isEmpty ? region : "its country")")
        default: return .invalid(reason: "not a number in use (\(e164))")
        }
    }

    /// One line of the worker protocol: "<result code> <region> <e164>" ("E" alone for an empty input).
    func appendWireLine(for raw: String, to out: inout [UInt8]) {
        if raw.isBlankCell {
            out.append(UInt8(ascii: "E"))
            return
        }
        let (result, e164) = classify(raw)
        out.append(contentsOf: String(result.rawValue).utf8)
        out.append(0x20)
        out.append(contentsOf: regionCString.dropLast().lazy.map { UInt8(bitPattern: $0) })
        out.append(0x20)
        out.append(contentsOf: e164.utf8)
    }

    static func verdict(fromWireLine line: ArraySlice<UInt8>) -> Verdict {
        if line.count == 1 && line.first == UInt8(ascii: "E") { return .invalid(reason: "phone number is empty") }
        guard let first = line.firstIndex(of: 0x20), let second = line[(first + 1)...].firstIndex(of: 0x20),
            let code = UInt32(String(decoding: line[..<first], as: UTF8.self))
        else { return .invalid(reason: "not a phone number") }
        let e164 = String(decoding: line[(second + 1)...], as: UTF8.self)
        let result = phone_result(rawValue: code)
        if result == PHONE_VALID { return .valid(e164) }
        return verdict(result: result, e164: e164, region: String(decoding: line[(first + 1)..<second], as: UTF8.self))
    }
}
