import Foundation

/// When scheduled reports are due: daily at a local time, and/or every N hours. Each run covers the
/// period since the previous run of the same kind (24 hours, or N hours).
public struct ReportSchedule: Sendable, Equatable {
    /// "08:00" local time in `timeZone`; nil: no daily report.
    public var dailyAt: (hour: Int, minute: Int)?
    /// 0: no interval report.
    public var everyHours: Int
    public var timeZone: TimeZone

    public init(dailyAt: (hour: Int, minute: Int)?, everyHours: Int, timeZone: TimeZone) {
        self.dailyAt = dailyAt
        self.everyHours = everyHours
        self.timeZone = timeZone
    }

    public static func == (a: ReportSchedule, b: ReportSchedule) -> Bool {
        a.dailyAt?.hour == b.dailyAt?.hour && a.dailyAt?.minute == b.dailyAt?.minute && a.everyHours == b.everyHours && a.timeZone == b.timeZone
    }

    public var isEmpty: Bool { dailyAt == nil && everyHours <= 0 }

    public struct Run: Sendable, Equatable {
        public var at: Date
        /// The period the run reports on: [from, at).
        public var from: Date
        public init(at: Date, from: Date) {
            self.at = at
            self.from = from
        }
    }

    /// The first run strictly after `date`.
    public func nextRun(after date: Date) -> Run? {
        var candidates: [Run] = []
        if let daily = dailyAt {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            if let next = calendar.nextDate(
                after: date,
                matching: DateComponents(hour: daily.hour, minute: daily.minute, second: 0),
                matchingPolicy: .nextTime
            ) {
                candidates.append(Run(at: next, from: calendar.date(byAdding: .day, value: -1, to: next) ?? next.addingTimeInterval(-86_400)))
            }
        }
        if everyHours > 0 {
            // Aligned to whole hours since the epoch, so runs land on the same clock times after a restart.
            let step = Double(everyHours) * 3600
            let next = ((date.timeIntervalSince1970 / step).rounded(.down) + 1) * step
            candidates.append(Run(at: Date(timeIntervalSince1970: next), from: Date(timeIntervalSince1970: next - step)))
        }
        return candidates.min { $0.at < $1.at }
    }

    /// "08:00" → (8, 0); nil for anything else.
    public static func parseTime(_ text: String) -> (hour: Int, minute: Int)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        return (h, m)
    }
}
