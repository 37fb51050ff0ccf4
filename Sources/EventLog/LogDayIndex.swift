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

    /// Bumped when the index's meaning changes, so old indexes are rebuilt.
    public var version = LogDayIndex.currentVersion
    static let currentVersion = 1

    public init(day: String) { self.day = day }

    static func indexFile(for file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent("index", isDirectory: true)
            .appendingPathComponent(file.lastPathComponent + ".json")
    }

    /// The index of `file`, read from disk and extended over the lines written since (saved when it grew).
    public static func load(_ file: URL) -> LogDayIndex {
        let path = indexFile(for: file)
        let stored = (try? Data(contentsOf: path)).flatMap { try? JSONDecoder().decode(LogDayIndex.self, from: $0) }
            .flatMap { $0.version == currentVersion ? $0 : nil }
        // A compressed day no longer grows (and keeps its length when its bodies are blanked): its index is
        // whole without opening it, so choosing days over a year of them reads only their small indexes.
        var st = stat()
        let plain = stat(file.path, &st) == 0
        if !plain, let stored, FileManager.default.fileExists(atPath: LogSource.compressedPath(file).path) { return stored }
        let size = plain ? UInt64(st.st_size) : LogSource.size(of: file)
        var index = stored.flatMap { $0.bytes <= size ? $0 : nil } ?? LogDayIndex(day: EventLogReader.day(of: file))
        guard index.bytes < size else { return index }
        var campaigns = Set(index.campaigns)
        index.bytes = EventLogScanner.scan(file, from: index.bytes) { line, _ in index.add(line, campaigns: &campaigns) }
        index.campaigns = campaigns.sorted()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let data = try? encoder.encode(index) {
            try? FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? AtomicFile.write(data, to: path, durable: false)
        }
        return index
    }

    static let statusBytes = Array("status".utf8)
    static let inboundBytes = Array("inbound".utf8)

    mutating func add(_ line: UnsafeRawBufferPointer, campaigns: inout Set<String>) {
        lines += 1
        if line.starts(with: EventLogReader.webhookLinePrefix) {
            webhooks += 1
            return
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
