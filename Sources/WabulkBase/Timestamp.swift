import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The one timestamp format of logs, receipts and status files: ISO 8601 in UTC with milliseconds.
public enum Timestamp {
    /// "2026-11-28T04:19:43.264Z". Written by hand from gmtime_r: Foundation's ISO 8601 style was a visible
    /// share of every event written (the same text, tested against it).
    public static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = Int(seconds.rounded(.down))
        var millis = Int(((seconds - Double(whole)) * 1000).rounded(.down))
        if millis >= 1000 {
            whole += 1
            millis -= 1000
        }
        var t = time_t(whole)
        var parts = tm()
        gmtime_r(&t, &parts)
        // Straight into the string's storage: 24 ASCII bytes, no intermediate arrays.
        return String(unsafeUninitializedCapacity: 24) { out in
            func digits(_ value: Int, _ width: Int, at start: Int, then separator: UInt8) {
                var v = value
                for i in stride(from: start + width - 1, through: start, by: -1) {
                    out[i] = UInt8(0x30 + v % 10)
                    v /= 10
                }
                out[start + width] = separator
            }
            digits(Int(parts.tm_year) + 1900, 4, at: 0, then: 0x2D)
            digits(Int(parts.tm_mon) + 1, 2, at: 5, then: 0x2D)
            digits(Int(parts.tm_mday), 2, at: 8, then: 0x54)
            digits(Int(parts.tm_hour), 2, at: 11, then: 0x3A)
            digits(Int(parts.tm_min), 2, at: 14, then: 0x3A)
            digits(Int(parts.tm_sec), 2, at: 17, then: 0x2E)
            digits(millis, 3, at: 20, then: 0x5A)
            return 24
        }
    }

    public static func parse(_ text: String) -> Date? {
        if let d = try? Date(
            text,
            strategy: .iso8601.year().month().day().dateSeparator(.dash)
                .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)
        ) {
            return d
        }
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
