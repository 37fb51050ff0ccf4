import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One line on the terminal that a long command rewrites in place: how many done (of how many, when known),
/// how fast, and about how long is left. Silent unless standard error is a terminal and the output is not
/// JSON, so a pipe, a log file or a script sees only the result.
final class TerminalProgress: @unchecked Sendable {
    let label: String
    let unit: String
    private(set) var total: Int?
    let enabled: Bool
    private let started = Date()
    private var shownAt = Date.distantPast
    private var shown = false

    /// `total` is worked out only when the line will be shown (counting a file's lines, sizing a log).
    init(_ label: String, unit: String, total: @autoclosure () -> Int? = nil, quiet: Bool) {
        self.label = label
        self.unit = unit
        enabled = !quiet && isatty(STDERR_FILENO) == 1
        self.total = enabled ? total().flatMap { $0 > 0 ? $0 : nil } : nil
    }

    /// Serializes updates from a task that is not the command's (the planner's batches).
    private let lock = NSLock()

    /// At most ten times a second.
    func update(_ done: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(shownAt) >= 0.1 else { return }
        shownAt = now
        write("\r\u{1B}[K" + Self.line(label: label, unit: unit, done: done, total: total, seconds: now.timeIntervalSince(started)))
        shown = true
    }

    /// With a total learned as the work goes.
    func update(_ done: Int, of total: Int) {
        lock.lock()
        self.total = total > 0 ? total : nil
        lock.unlock()
        update(done)
    }

    /// Clears the line, so the command's own summary starts on a clean one.
    func finish() {
        if enabled && shown { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func line(label: String, unit: String, done: Int, total: Int?, seconds: Double) -> String {
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var text = "\(label): \(grouped(done))"
        if let total {
            let share = min(1, Double(done) / Double(total))
            text += " of \(grouped(total)) \(unit) (\(Int(share * 100))%)"
        } else {
            text += " \(unit)"
        }
        text += ", \(grouped(Int(rate))) \(unit)/s"
        if let total, rate > 0, done < total { text += ", about \(Int((Double(total - done) / rate).rounded(.up))) s left" }
        return text
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// Lines in a text file less its header: a contacts file's rows, counted before the import reads it
    /// (about 20 ms for a million rows; quoted cells holding line breaks make it an upper bound).
    static func dataLines(in url: URL) -> Int? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        var lines = 0
        var last: UInt8 = 0x0A
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { raw in
                var p = raw.baseAddress!
                var left = raw.count
                while left > 0, let found = memchr(p, 0x0A, left) {
                    lines += 1
                    let next = UnsafeRawPointer(found) + 1
                    left -= next - p
                    p = next
                }
            }
            last = chunk.last ?? last
        }
        if last != 0x0A { lines += 1 }
        return max(0, lines - 1)
    }
}
