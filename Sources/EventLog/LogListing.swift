import Foundation
import WabulkBase

/// How `wabulk logs` prints what it found: an aligned table in the operator's time zone, the log's own JSON
/// lines, or CSV safe to open in Excel (a cell that starts like a formula is quoted as text).
public struct LogListing: Sendable {
    public enum Format: String, Sendable, CaseIterable { case table, json, csv }

    public let format: Format
    public let timeZone: TimeZone
    private let formatter: DateFormatter

    public init(format: Format, timeZone: TimeZone = .current) {
        self.format = format
        self.timeZone = timeZone
        formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    }

    static let columns = ["time", "campaign", "job", "phone", "status", "attempt", "code", "detail", "wamid"]
    static let widths = [19, 14, 22, 16, 9, 2, 6]

    /// What goes before the first row (nil: nothing).
    public var header: String? {
        switch format {
        case .table:
            let offset = timeZone.secondsFromGMT() / 60
            let zone = String(format: "UTC%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 60, abs(offset) % 60)
            return Self.aligned(["time (\(zone))", "campaign", "job", "phone", "status", "#", "code", "detail"])
        case .csv: return Self.columns.joined(separator: ",")
        case .json: return nil
        }
    }

    /// One event as a line of output (without the line end).
    public func row(_ line: UnsafeRawBufferPointer, _ e: MessageEvent) -> String {
        switch format {
        case .json: return String(decoding: line, as: UTF8.self)
        case .table:
            var cells = cells(e)
            cells.removeLast()  // Meta's id: too long for a terminal's line
            cells[cells.count - 1] = Self.oneLine(cells[cells.count - 1])
            return Self.aligned(cells)
        case .csv: return cells(e).map(SafeCSV.cell).joined(separator: ",")
        }
    }

    /// The columns of `columns`, in order.
    func cells(_ e: MessageEvent) -> [String] {
        [
            e.date.map(formatter.string(from:)) ?? e.time, e.campaign ?? e.job.map(Self.campaign(ofJob:)) ?? "", e.job ?? "", e.phone ?? "",
            status(e), e.attempt.map(String.init) ?? "", e.errorCode.map(String.init) ?? "", detail(e), e.wamid ?? "",
        ]
    }

    /// The status, or for a person's other events what they did.
    func status(_ e: MessageEvent) -> String {
        switch e.kind {
        case .inbound: "reply"
        case .optOut: "opt-out"
        case .optIn: "opt-in"
        default: e.status?.rawValue ?? e.kind.rawValue
        }
    }

    /// Meta's error and its details, the reason a message waits or was skipped, or the reply's text.
    func detail(_ e: MessageEvent) -> String {
        [e.errorTitle, e.errorDetails, e.reason].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
    }

    static func campaign(ofJob job: String) -> String { job.lastIndex(of: ".").map { String(job[..<$0]) } ?? "" }

    /// A reply's line breaks and tabs would break the table's rows.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    static func aligned(_ cells: [String]) -> String {
        var out = ""
        for (i, cell) in cells.enumerated() {
            if i < widths.count {
                let clipped = cell.count > widths[i] ? String(cell.prefix(widths[i] - 1)) + "…" : cell
                out += clipped + String(repeating: " ", count: widths[i] - clipped.count + 2)
            } else {
                out += cell
            }
        }
        while out.last == " " { out.removeLast() }
        return out
    }
}
