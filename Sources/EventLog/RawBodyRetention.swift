import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// Webhook bodies as received (names, reply texts: personal data) are kept in the log for `days` days for
/// audits, then blanked: the `raw` string of each `webhook` line in older day files is overwritten with
/// spaces in place. Every other line, every byte offset and the file's length stay as they were, so the
/// followers' saved places (file, offset) and the events themselves are untouched.
public struct RawBodyRetention: Sendable {
    public let directory: URL
    public let days: Int

    public init(directory: URL, days: Int) {
        self.directory = directory
        self.days = days
    }

    /// The last day whose file was blanked, so each file is read once.
    var doneFile: URL { directory.appendingPathComponent(".raw-blanked-through") }

    /// Blanks the bodies in every day file older than `days` days before `now`; returns how many were blanked.
    /// A compressed day is written again with its bodies blanked (`LogCompactor`, whose lock this takes).
    @discardableResult
    public func apply(now: Date) throws -> Int {
        let compactor = LogCompactor(directory: directory, days: 0)
        return try FileLock.withExclusive(compactor.lockFile) { try applyLocked(now: now, compactor: compactor) }
    }

    func applyLocked(now: Date, compactor: LogCompactor) throws -> Int {
        // A day left in both forms by a stopped compaction becomes one first: blanking only the plain form
        // would leave the bodies in the compressed one.
        _ = try compactor.tidy()
        let cutoff = Timestamp.day(now.addingTimeInterval(-Double(days) * 86_400))
        let done = (try? String(contentsOf: doneFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var blanked = 0
        var through = done
        for file in EventLogReader(directory: directory).files() {
            let day = String(file.lastPathComponent.dropFirst("events-".count).prefix(10))
            guard day < cutoff else { break }
            guard day > done else { continue }
            if FileManager.default.fileExists(atPath: file.path) {
                blanked += try blank(file)
            } else {
                blanked += try compactor.compress(file, blanking: true).blanked
            }
            through = day
        }
        if through != done { try AtomicFile.write(Data(through.utf8), to: doneFile, durable: false) }
        return blanked
    }

    private static let marker = Array(#""raw":""#.utf8)

    func blank(_ file: URL) throws -> Int {
        let fd = open(file.path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw FileError.cannotWrite(path: file.path, errno: errno) }
        defer { close(fd) }
        // Mapped, not read: a day's log can be gigabytes, and only its webhook lines are touched.
        guard let data = try? Data(contentsOf: file, options: .alwaysMapped) else {
            throw FileError.cannotRead(path: file.path, reason: "unreadable")
        }
        var count = 0
        let failed: Int32 = data.withUnsafeBytes { (all: UnsafeRawBufferPointer) -> Int32 in
            var lineStart = 0
            while lineStart < all.count {
                let lineEnd = all[lineStart...].firstIndex(of: 0x0A) ?? all.count
                if let (start, end) = Self.rawString(in: all, from: lineStart, to: lineEnd), all[start..<end].contains(where: { $0 != 0x20 }) {
                    let spaces = [UInt8](repeating: 0x20, count: end - start)
                    if pwrite(fd, spaces, spaces.count, off_t(start)) != spaces.count { return errno }
                    count += 1
                }
                lineStart = lineEnd + 1
            }
            return 0
        }
        if failed != 0 { throw FileError.cannotWrite(path: file.path, errno: failed) }
        if count > 0, fdatasync(fd) != 0 { throw FileError.cannotWrite(path: file.path, errno: errno) }
        return count
    }

    /// The byte range of a webhook line's `raw` string content (between its quotes), if it has one.
    static func rawString(in bytes: UnsafeRawBufferPointer, from lineStart: Int, to lineEnd: Int) -> (Int, Int)? {
        let line = bytes[lineStart..<lineEnd]
        guard line.starts(with: EventLogReader.webhookLinePrefix) else { return nil }
        var i = lineStart
        while i + marker.count <= lineEnd {
            if bytes[i] == marker[0], bytes[i..<(i + marker.count)].elementsEqual(marker),
                bytes[i - 1] == UInt8(ascii: ",") || bytes[i - 1] == UInt8(ascii: "{")
            {
                let start = i + marker.count
                var j = start
                while j < lineEnd {
                    if bytes[j] == UInt8(ascii: "\\") {
                        j += 2
                        continue
                    }
                    if bytes[j] == UInt8(ascii: "\"") { return (start, j) }
                    j += 1
                }
                return nil
            }
            i += 1
        }
        return nil
    }
}
