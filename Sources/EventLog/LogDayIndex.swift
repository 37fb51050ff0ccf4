import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// What one day file holds, so a report or the status reads only the days that can matter to it:
/// the span of its events' times, the campaigns its lines belong to and how many lines of each kind.
/// Kept in `var/log/index/<day file>.json` and brought up to date from where it stopped (day files only
/// grow, and compression keeps their offsets), so each byte of the log is indexed once.
public struct LogDayIndex: Codable, Sendable, Equatable {
    public var day: String
    /// Plain bytes of the day file indexed so far.
    public var bytes: UInt64 = 0
    /// Earliest and latest time wabulk wrote on its lines, Unix seconds (Meta's own times are not used: a
    /// webhook arriving after midnight tells of a read before it, yet belongs to the day it arrived).
    public var first: Int?
    public var last: Int?
    /// Campaigns whose messages have lines in the day, sorted.
    public var campaigns: [String] = []
    public var lines = 0
    public var statuses = 0
    /// Status lines naming their message only by Meta's id: a report joins them through a `sent` line that
    /// may be in an earlier day, so a day holding them is read whenever a later one is.
    public var unjoined = 0
    public var inbound = 0
    public var webhooks = 0
    /// Campaigns planned in the day (a `queued` line): a later report of them reads the day whole.
    public var planned: [String] = []
    /// Plain lengths of the day's extracts, `Extract.sends` and `Extract.carried`.
    public var sendsBytes: UInt64 = 0
    public var carriedBytes: UInt64 = 0

    /// Bumped when the index's meaning changes, so old indexes are rebuilt.
    public var version = LogDayIndex.currentVersion
    static let currentVersion = 3

    public init(day: String) { self.day = day }

    /// Copies of a few of the day's lines, in order, kept beside its index, so a report that needs only those
    /// lines of a day reads a few thousand where it would read the day's hundred thousand.
    public enum Extract: String, CaseIterable, Sendable {
        /// The dispatcher's `sent` lines (`LogSelection.LineFilter.sends`): what a report of the next day
        /// reads of this one, to tie replies to the messages they answer.
        case sends
        /// Lines of campaigns not planned in the day (so far as it was written), statuses naming no campaign
        /// and replies: what a report of an earlier day reads of this one (late statuses, sends past
        /// midnight), and what tells a report of this day which sends of the day before it needs.
        case carried
    }

    static func indexFile(for file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent("index", isDirectory: true)
            .appendingPathComponent(file.lastPathComponent + ".json")
    }

    /// An extract's plain path (compressed with its day, as `<path>.zst`: `LogSource` reads either).
    static func extractFile(_ extract: Extract, for file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent("index", isDirectory: true)
            .appendingPathComponent("\(file.lastPathComponent).\(extract.rawValue).jsonl")
    }

    /// Whether the extract can stand in for its lines of the day: the index covers the whole day and the
    /// extract is there in one form or the other.
    func hasExtract(_ extract: Extract, of file: URL) -> Bool {
        let path = Self.extractFile(extract, for: file)
        return length(of: extract) == 0 || access(path.path, F_OK) == 0 || access(LogSource.compressedPath(path).path, F_OK) == 0
    }

    func length(of extract: Extract) -> UInt64 { extract == .sends ? sendsBytes : carriedBytes }

    /// The index of `file`, read from disk and extended over the lines written since (saved when it grew).
    public static func load(_ file: URL) -> LogDayIndex {
        let stored = stored(file)
        // A compressed day no longer grows (and keeps its length when its bodies are blanked): its index is
        // whole without opening it, so choosing days over a year of them reads only their small indexes.
        var st = stat()
        let plain = stat(file.path, &st) == 0
        if !plain, let stored, FileManager.default.fileExists(atPath: LogSource.compressedPath(file).path) { return stored }
        let size = plain ? UInt64(st.st_size) : LogSource.size(of: file)
        if let stored, stored.bytes == size, stored.extractsMatch(file) { return stored }
        // Extended by one process at a time: two appending the same lines to an extract would double them.
        let lock = indexFile(for: file).deletingLastPathComponent().appendingPathComponent(".extend.lock")
        return (try? FileLock.withExclusive(lock) { extend(file, size: size) }) ?? stored ?? LogDayIndex(day: EventLogReader.day(of: file))
    }

    private static func stored(_ file: URL) -> LogDayIndex? {
        (try? Data(contentsOf: indexFile(for: file))).flatMap { try? JSONDecoder().decode(LogDayIndex.self, from: $0) }
            .flatMap { $0.version == currentVersion ? $0 : nil }
    }

    /// Plain extracts as long as the index says (a compressed one was checked when it was written).
    private func extractsMatch(_ file: URL) -> Bool {
        Extract.allCases.allSatisfy { e in
            var st = stat()
            let path = Self.extractFile(e, for: file).path
            if stat(path, &st) == 0 { return UInt64(st.st_size) == length(of: e) }
            return length(of: e) == 0 || access(path + ".zst", F_OK) == 0
        }
    }

    private static func extend(_ file: URL, size: UInt64) -> LogDayIndex {
        let path = indexFile(for: file)
        try? FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Read again under the lock: another process may have extended it meanwhile.
        var index = stored(file).flatMap { $0.bytes <= size ? $0 : nil } ?? LogDayIndex(day: EventLogReader.day(of: file))
        // An extract longer than the index says was appended to by a run that stopped before saving the
        // index: cut back. A shorter one lost writes (the index is saved after them, neither durably): the
        // day is indexed again from its start.
        let lengths = Extract.allCases.map { e -> UInt64? in
            var st = stat()
            return stat(extractFile(e, for: file).path, &st) == 0 ? UInt64(st.st_size) : nil
        }
        if zip(Extract.allCases, lengths).contains(where: { e, have in (have ?? 0) < index.length(of: e) }) {
            index = LogDayIndex(day: EventLogReader.day(of: file))
        }
        guard index.bytes < size || zip(Extract.allCases, lengths).contains(where: { e, have in have != index.length(of: e) }) else { return index }
        let writers = Extract.allCases.map { ExtractWriter(extractFile($0, for: file), length: index.length(of: $0)) }
        guard writers.allSatisfy(\.isOpen) else { return index }
        var campaigns = Set(index.campaigns)
        var planned = Set(index.planned)
        index.bytes = EventLogScanner.scan(file, from: index.bytes) { line, _ in
            index.add(line, campaigns: &campaigns, planned: &planned) { writers[$0 == .sends ? 0 : 1].append(line) }
        }
        index.campaigns = campaigns.sorted()
        index.planned = planned.sorted()
        guard let sends = writers[0].finish(), let carried = writers[1].finish() else { return index }
        index.sendsBytes = sends
        index.carriedBytes = carried
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let data = try? encoder.encode(index) { try? AtomicFile.write(data, to: path, durable: false) }
        return index
    }

    static let statusBytes = Array("status".utf8)
    static let inboundBytes = Array("inbound".utf8)
    static let queuedStatus = Array(#""status":"queued""#.utf8)

    mutating func add(
        _ line: UnsafeRawBufferPointer,
        campaigns: inout Set<String>,
        planned: inout Set<String>,
        extract: (Extract) -> Void
    ) {
        lines += 1
        if line.starts(with: EventLogReader.webhookLinePrefix) {
            webhooks += 1
            return
        }
        if LogSelection.LineFilter.sends.keeps(line) { extract(.sends) }
        // The campaign as `LogSelection.LineFilter` finds it, so every line a filter keeps of a day not
        // planning its campaigns is in the extract.
        if let named = LogSelection.LineFilter.campaignBytes(in: line) {
            let campaign = String(decoding: UnsafeRawBufferPointer(rebasing: named), as: UTF8.self)
            if LogSelection.LineFilter.find(line, Self.queuedStatus) != nil { planned.insert(campaign) }
            if !planned.contains(campaign) { extract(.carried) }
        } else if LogSelection.LineFilter.find(line, LogSelection.LineFilter.statusKind) != nil
            || LogSelection.LineFilter.find(line, LogSelection.LineFilter.inboundKind) != nil
        {
            // Replies too: they name the message they answer, which a report of the day before needs.
            extract(.carried)
        }
        guard let f = EventFields.parse(line) else { return }
        if let time = f.time, case let t = Int(MessageLedger.seconds(iso: time, in: line)) + MessageLedger.epoch2000, t > MessageLedger.epoch2000 {
            if first.map({ t < $0 }) ?? true { first = t }
            if last.map({ t > $0 }) ?? true { last = t }
        }
        if let c = Self.campaign(f, in: line) { campaigns.insert(c) }
        guard let kind = f.kind else { return }
        if EventFields.equals(kind, Self.statusBytes, in: line) {
            statuses += 1
            if f.job == nil, f.campaign == nil { unjoined += 1 }
        } else if EventFields.equals(kind, Self.inboundBytes, in: line) {
            inbound += 1
        }
    }

    /// The campaign a line belongs to: its own field, else its job id's prefix (`<campaign>.<seq>`).
    static func campaign(_ f: EventFields, in line: UnsafeRawBufferPointer) -> String? {
        if let c = f.campaign { return EventFields.string(c, in: line) }
        guard let job = f.job else { return nil }
        let id = EventFields.string(job, in: line)
        return id.lastIndex(of: ".").map { String(id[..<$0]) }
    }
}

/// Appends lines to one extract of a day, from the length its index gives (cutting off what a stopped run
/// appended after it), in buffered writes.
private final class ExtractWriter {
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var length: UInt64
    private var failed = false

    init(_ file: URL, length: UInt64) {
        path = file.path
        self.length = length
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        if fd >= 0, ftruncate(fd, off_t(length)) != 0 || lseek(fd, off_t(length), SEEK_SET) < 0 {
            close(fd)
            fd = -1
        }
    }

    var isOpen: Bool { fd >= 0 }

    func append(_ line: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: line)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        guard !failed, !buffer.isEmpty else { return buffer.removeAll(keepingCapacity: true) }
        let done = buffer.withUnsafeBytes { b -> Bool in
            var at = 0
            while at < b.count {
                let n = write(fd, b.baseAddress! + at, b.count - at)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                at += n
            }
            return true
        }
        if done { length += UInt64(buffer.count) } else { failed = true }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The extract's length once everything is written; nil when a write failed (the index is not saved,
    /// and the next load cuts the extract back to what the saved index says).
    func finish() -> UInt64? {
        flush()
        if fd >= 0 { close(fd) }
        fd = -1
        return failed ? nil : length
    }
}
