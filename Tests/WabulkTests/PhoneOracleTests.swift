import CPhoneNumber
import Foundation
import Testing

@testable import Contacts

/// Differential test: our libphonenumber shim against Python's phonenumbers (an independent
/// implementation, pinned to the same numbering data) on generated inputs for ten countries.
@Suite struct PhoneOracleTests {
    struct Case: Codable {
        var raw: String
        var region: String
    }

    static func generateCases() -> [Case] {
        // (region, calling code, national lengths, trunk prefix, leading digits that occur)
        let countries: [(String, String, [Int], String, [String])] = [
            ("IN", "91", [10], "0", ["9", "8", "7", "6", "11", "22", "5"]),
            ("US", "1", [10], "1", ["650", "212", "415", "800", "555", "911"]),
            ("GB", "44", [10, 9], "0", ["7", "20", "121", "16977"]),
            ("DE", "49", [10, 11, 7], "0", ["15", "16", "17", "30", "89", "40"]),
            ("BR", "55", [11, 10], "0", ["11", "21", "119", "61"]),
            ("AE", "971", [9, 8], "0", ["5", "4", "2"]),
            ("NG", "234", [10, 8], "0", ["80", "70", "1", "90"]),
            ("ID", "62", [10, 11, 9], "0", ["81", "21", "85"]),
            ("FR", "33", [9], "0", ["6", "7", "1", "9"]),
            ("MX", "52", [10], "", ["55", "33", "1"]),
        ]
        var rng = SplitMix(seed: 20_261_128)
        var cases: [Case] = []
        for (region, code, lengths, trunk, leads) in countries {
            for i in 0..<220 {
                let length = lengths[i % lengths.count] + (i % 17 == 0 ? Int(rng.next() % 3) - 1 : 0)
                var national = leads[Int(rng.next() % UInt64(leads.count))]
                while national.count < max(length, 1) { national += String(rng.next() % 10) }
                national = String(national.prefix(max(length, 1)))
                let spaced = national.count > 5 ? "\(national.prefix(5)) \(national.dropFirst(5))" : national
                let raw: String
                switch i % 11 {
                case 0: raw = national
                case 1: raw = trunk + national
                case 2: raw = "+\(code) \(spaced)"
                case 3: raw = "00\(code)\(national)"
                case 4: raw = "+\(code)-\(national.prefix(3))-\(national.dropFirst(3))"
                case 5: raw = "(\(trunk)\(national.prefix(3))) \(national.dropFirst(3))"
                case 6: raw = "\(code)\(national)"
                case 7: raw = "tel: +\(code) \(national)"
                case 8: raw = "\(national.prefix(4))x\(national.dropFirst(4))"  // malformed
                case 9: raw = "+\(code) \(national)\(rng.next() % 10)\(rng.next() % 10)"  // too long
                default: raw = String(national.prefix(3))  // too short
                }
                // Each input is read in its own country and in India (the installation default).
                cases.append(Case(raw: raw, region: region))
                if i % 4 == 0 { cases.append(Case(raw: raw, region: "IN")) }
            }
        }
        return cases
    }

    @Test func verdictsAndE164MatchPythonPhonenumbers() async throws {
        let cases = Self.generateCases()
        #expect(cases.count >= 2000)
        let dir = TempDir()
        let input = dir.url.appendingPathComponent("cases.json")
        try JSONEncoder().encode(cases).write(to: input)
        let script = """
            import json, sys, phonenumbers
            out = []
            for c in json.load(open(sys.argv[1])):
                try:
                    n = phonenumbers.parse(c["raw"], c["region"])
                    out.append(phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_valid_number(n) else None)
                except phonenumbers.NumberParseException:
                    out.append(None)
            print(json.dumps(out))
            """
        let oracle = try await runProcess(python3, ["python3", "-c", script, input.path])
        #expect(oracle.status == 0, "\(oracle.stderr)")
        let expected = try JSONDecoder().decode([String?].self, from: Data(oracle.stdout.utf8))
        #expect(expected.count == cases.count)
        var mismatches: [String] = []
        var normalizers: [String: PhoneNormalizer] = [:]
        var withLetters = 0
        for (c, want) in zip(cases, expected) {
            // Read as libphonenumber reads it (letters as keypad digits), every answer must be the oracle's.
            let normalizer = try normalizers[c.region] ?? PhoneNormalizer(defaultCountry: c.region, allowsLetters: true)
            normalizers[c.region] = normalizer
            let got: String?
            switch normalizer.normalize(c.raw) {
            case .valid(let e164): got = e164
            case .invalid: got = nil
            }
            if got != want { mismatches.append("\(c.region) \"\(c.raw)\": ours \(got ?? "invalid"), oracle \(want ?? "invalid")") }
            // As wabulk reads it by default: digit inputs the same, any with letters refused for that reason.
            let strict = try PhoneNormalizer(defaultCountry: c.region)
            if PhoneNormalizer.hasLetters(c.raw) {
                withLetters += 1
                if strict.normalize(c.raw) != PhoneNormalizer.letters { mismatches.append("\(c.raw): not refused for its letters") }
            } else if strict.normalize(c.raw) != normalizer.normalize(c.raw) {
                mismatches.append("\(c.region) \"\(c.raw)\": strict and lenient differ on digits")
            }
        }
        #expect(withLetters > 300 && withLetters < cases.count / 2)
        let valid = expected.compactMap { $0 }.count
        #expect(valid > 400 && valid < cases.count - 400, "the inputs should mix valid and invalid numbers (\(valid) valid)")
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(10))")
    }
}

extension PhoneOracleTests {
    /// The digits-only shortcut must never change libphonenumber's answer: the same inputs, with extra
    /// punctuation, brackets and edge cases, classified as written and through the shortcut.
    @Test func theDigitsOnlyShortcutGivesLibphonenumbersOwnAnswer() throws {
        var inputs: [Case] = []
        for c in Self.generateCases() {
            inputs.append(c)
            inputs.append(Case(raw: "(\(c.raw)).", region: c.region))
            inputs.append(Case(raw: c.raw.replacingOccurrences(of: " ", with: "."), region: c.region))
            inputs.append(Case(raw: " - \(c.raw.replacingOccurrences(of: "-", with: " ("))) ", region: c.region))
        }
        let edges = [
            "12", "1 2", "123", "1-2-3", "(12)", "++91 98765 43210", "9+1 98765 43210", "+", "+ 1", "+12",
            "(0) 98765 43210", "+91 (0) 98765 43210", ".+91.98765.43210.", "0091 98765 43210", "91 98765-43210",
            "(+91) 6119-510-604", "00916066580351", "91-7664433884", "+91 97162 32396", "098765 43210",
            "+44 (0)20 7946 0958", "020 7946 0958", "+1 (650) 253-0000", "1-650-253-0000", "650.253.0000",
            "((+91)) 98765 43210", "+91 98765 43210 )", "- 98765", String(repeating: "9", count: 40),
            "+" + String(repeating: "1", count: 20), "0000000", "+0 123 4567", "+999 1234 5678", "11 2345 6789",
        ]
        for raw in edges { for region in ["IN", "US", "GB", "DE", "BR"] { inputs.append(Case(raw: raw, region: region)) } }
        var normalizers: [String: PhoneNormalizer] = [:]
        var mismatches: [String] = []
        var shortcuts = 0
        var scratch = ContiguousArray<CChar>()
        for c in inputs {
            let normalizer = try normalizers[c.region] ?? PhoneNormalizer(defaultCountry: c.region)
            normalizers[c.region] = normalizer
            if PhoneNormalizer.plainDigits(c.raw.utf8, into: &scratch) { shortcuts += 1 }
            let written = normalizer.classify(c.raw, shortcut: false)
            let fast = normalizer.classify(c.raw)
            if written != fast { mismatches.append("\(c.region) \"\(c.raw)\": as written \(written), shortcut \(fast)") }
        }
        #expect(inputs.count == 4 * Self.generateCases().count + 5 * edges.count)
        #expect(shortcuts > inputs.count / 2, "the shortcut should apply to most inputs (\(shortcuts) of \(inputs.count))")
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(10))")
    }
}

extension PhoneOracleTests {
    /// The shim's validity check (libphonenumber's rule over its metadata, run with PCRE2) against
    /// libphonenumber's IsValidNumber, on random numbers of every plausible length for many calling codes.
    @Test func theFastValidityCheckAgreesWithIsValidNumber() throws {
        let codes = [
            1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 54, 55, 56, 57, 58,
            60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 212, 213, 234, 254, 255, 256, 351,
            352, 353, 358, 380, 420, 852, 880, 886, 966, 971, 972, 977, 998,
        ]
        let india = try PhoneNormalizer(defaultCountry: "IN")
        var rng = SplitMix(seed: 7)
        var valid = 0
        var mismatches: [String] = []
        for code in codes {
            for i in 0..<120 {
                var national = String(1 + rng.next() % 9)
                for _ in 0..<(5 + i % 9) { national += String(rng.next() % 10) }
                let raw = "+\(code)\(national)"
                let libphonenumber = india.classify(raw, shortcut: false)
                let fast = india.classify(raw)
                if libphonenumber.0 == PHONE_VALID { valid += 1 }
                if libphonenumber != fast { mismatches.append("\(raw): IsValidNumber \(libphonenumber.0.rawValue), fast \(fast.0.rawValue)") }
            }
        }
        #expect(valid > 600, "the inputs should hold many valid numbers (\(valid))")
        let covered = codes.filter { phone_fast_validity_covers(Int32($0)) == 1 }
        #expect(covered.count > 50 && covered.contains(91) && !covered.contains(1) && !covered.contains(44), "\(covered)")
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(10))")
    }
}

/// A small deterministic generator, so the test's inputs are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
