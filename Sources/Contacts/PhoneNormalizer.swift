import CPhoneNumber

/// The one place libphonenumber (through the CPhoneNumber shim) is called: any spelling of a number
/// to E.164, national numbers read in the default country.
public struct PhoneNormalizer: Sendable {
    /// Region code such as "IN" used for numbers without a country code.
    public let region: String

    /// `defaultCountry` is a calling code ("91") or a region ("IN").
    public init(defaultCountry: String) throws(ContactsError) {
        if let code = Int(defaultCountry) {
            var buffer = [CChar](repeating: 0, count: 8)
            guard phone_region_for_calling_code(Int32(code), &buffer, buffer.count) == 1 else {
                throw .database(reason: "unknown default country calling code \(defaultCountry)")
            }
            region = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            region = defaultCountry.uppercased()
        }
    }

    public enum Verdict: Sendable, Equatable {
        case valid(String)
        case invalid(reason: String)
    }

    public func normalize(_ raw: String) -> Verdict {
        if raw.isBlankCell { return .invalid(reason: "phone number is empty") }
        let (result, e164) = classify(raw)
        return Self.verdict(result: result, e164: e164, region: region)
    }

    /// libphonenumber's raw answer: its result code and whatever E.164 it formatted.
    func classify(_ raw: String) -> (phone_result, String) {
        let trimmed = raw.trimmedCell
        if trimmed.isEmpty { return (PHONE_NOT_A_NUMBER, "") }
        var buffer = [CChar](repeating: 0, count: 32)
        let result = phone_to_e164(trimmed, region, &buffer, buffer.count)
        return (result, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
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

    /// One line of the worker protocol: "<result code> <e164>" ("E" alone for an empty input).
    func wireLine(for raw: String) -> String {
        if raw.isBlankCell { return "E" }
        let (result, e164) = classify(raw)
        return "\(result.rawValue) \(region) \(e164)"
    }

    static func verdict(fromWireLine line: String) -> Verdict {
        if line == "E" { return .invalid(reason: "phone number is empty") }
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let code = UInt32(parts[0]) else { return .invalid(reason: "not a phone number") }
        return verdict(result: phone_result(rawValue: code), e164: String(parts[2]), region: String(parts[1]))
    }
}

import Foundation
