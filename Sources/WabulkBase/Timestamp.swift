import Foundation

/// The one timestamp format of logs, receipts and status files: ISO 8601 in UTC with milliseconds.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true)
            .timeSeparator(.colon).timeZone(separator: .omitted))
    }

    public static func parse(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601.year().month().day().dateSeparator(.dash)
            .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)) { return d }
        return try? Date(text, strategy: .iso8601)
    }

    /// "2026-11-28T083000", for file names that sort by time and contain no colon.
    public static func fileStamp(_ date: Date) -> String {
        format(date).prefix(19).replacingOccurrences(of: ":", with: "")
    }

    /// "2026-11-28", the archive folder and report-name form, in UTC.
    public static func day(_ date: Date) -> String {
        String(format(date).prefix(10))
    }
}
