import Foundation
import WabulkBase

/// Times as 32-bit seconds since 2000 and statuses as one-byte codes: a slot holds five times and a
/// status for every message of a year's log.
extension MessageLedger {
    /// Whole seconds since 2000-01-01, so a time fits 32 bits until 2136; 0 means never.
    static let epoch2000: Int = 946_684_800

    static func seconds(unix: Int) -> UInt32 { UInt32(clamping: max(1, unix - epoch2000)) }

    static func unix(_ seconds: UInt32) -> Int? { seconds == 0 ? nil : Int(seconds) + epoch2000 }

    /// "YYYY-MM-DDTHH:MM:SS…Z" read directly; other spellings through Timestamp.
    static func seconds(iso text: EventFields.Text, in line: UnsafeRawBufferPointer) -> UInt32 {
        let n = text.end - text.start
        func digits(_ at: Int, _ width: Int) -> Int? {
            var v = 0
            for i in at..<(at + width) {
                let b = line[text.start + i]
                guard b >= 0x30, b <= 0x39 else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            return v
        }
        if n >= 20, line[text.start + n - 1] == UInt8(ascii: "Z"), line[text.start + 10] == UInt8(ascii: "T"),
            let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2), let h = digits(11, 2), let mi = digits(14, 2), let s = digits(17, 2)
        {
            return seconds(unix: daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
        }
        return Timestamp.parse(EventFields.string(text, in: line)).map { seconds(unix: Int($0.timeIntervalSince1970.rounded(.down))) } ?? 0
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static let allStatuses = MessageStatus.allCases
    static func code(_ status: MessageStatus) -> UInt8 { UInt8(allStatuses.firstIndex(of: status)!) }
    static func status(_ code: UInt8) -> MessageStatus { allStatuses[Int(code)] }
}
