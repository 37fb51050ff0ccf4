import Foundation

/// What Meta charges per delivered-and-billable message, by pricing category and the recipient's country
/// calling code, for the report's cost estimate. Written `marketing:91=0.0107,marketing=0.025,utility=0.004`:
/// a category with a calling code, or a category alone for every other country. Currency is whatever the
/// operator writes the rates in.
public struct RateCard: Sendable, Equatable {
    public var rates: [String: Double]

    public init(rates: [String: Double] = [:]) { self.rates = rates }

    public init?(parsing text: String) {
        var rates: [String: Double] = [:]
        for part in text.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty, let rate = Double(pair[1]), rate >= 0 else { return nil }
            rates[pair[0].lowercased()] = rate
        }
        self.rates = rates
    }

    /// The rate for a category and an E.164 number: the longest calling-code match (1 to 3 digits), else
    /// the category's default; nil when the card says nothing about the category.
    public func rate(category: String, phone: String) -> (rate: Double, countryCode: String?)? {
        let category = category.lowercased()
        let digits = phone.drop { $0 == "+" }
        for length in stride(from: 3, through: 1, by: -1) where digits.count >= length {
            let code = String(digits.prefix(length))
            if let r = rates["\(category):\(code)"] { return (r, code) }
        }
        return rates[category].map { ($0, nil) }
    }
}
