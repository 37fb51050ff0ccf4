import Foundation

/// A daily sending window in a time zone, e.g. 09:00–20:00 Asia/Kolkata; messages outside it wait.
public struct SendWindowSchedule: Sendable, Hashable, Codable {
    public let fromMinute: Int
    public let toMinute: Int
    public let timezone: String

    public init?(from: String, to: String, timezone: String) {
        guard let f = Self.minutes(from), let t = Self.minutes(to), TimeZone(identifier: timezone) != nil else { return nil }
        fromMinute = f
        toMinute = t
        self.timezone = timezone
    }

    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else {
            return nil
        }
        return h * 60 + m
    }

    /// `date` itself when inside the window, else the next opening.
    public func nextOpening(atOrAfter date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timezone) ?? .gmt
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let inside =
            fromMinute <= toMinute
            ? (minute >= fromMinute && minute < toMinute)
            : (minute >= fromMinute || minute < toMinute)  // overnight window
        if inside { return date }
        let startOfDay = calendar.startOfDay(for: date)
        var opening = calendar.date(byAdding: .minute, value: fromMinute, to: startOfDay)!
        if opening <= date { opening = calendar.date(byAdding: .day, value: 1, to: opening)! }
        return opening
    }
}
