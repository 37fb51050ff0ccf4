import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Follows the event log as it grows: each `next()` returns the complete lines written since the last
/// call, across day files. The position can be saved, so a follower resumes where it stopped.
public struct EventLogTail: Sendable {
    public struct Position: Codable, Sendable, Equatable {
        public var file: String
        public var offset: UInt64
        public init(file: String, offset: UInt64) {
            self.file = file
            self.offset = offset
        }
    }

    public let reader: EventLogReader
    public private(set) var position: Position?

    public init(directory: URL, from position: Position? = nil) {
        reader = EventLogReader(directory: directory)
        self.position = position
    }

    /// New events since the last call; a line still being written is left for the next call. With `kinds`,
    /// only events of those kinds are decoded (a follower skips the many status lines and raw bodies cheaply).
    public mutating func next(kinds: Set<MessageEvent.Kind>? = nil) -> [MessageEvent] {
        // Starting at "k": memchr then finds few candidates (quotes are everywhere in a JSON line).
        let markers = kinds.map { $0.map { Array("kind\":\"\($0.rawValue)\"".utf8) } }
        return next { line in markers.map { $0.contains { Self.find($0, in: line) } } ?? true }
            .filter { kinds?.contains($0.kind) ?? true }
    }

    /// New events since the last call whose line `wanted` picks from its bytes; the others are not decoded.
    public mutating func next(where wanted: (UnsafeRawBufferPointer) -> Bool) -> [MessageEvent] {
        nextWithPlaces(where: wanted).map(\.event)
    }

    /// The same, each event with the place just after its line: a follower that cannot act on one keeps the
    /// place before it (the previous event's) and reads it again on its next pass.
    public mutating func nextWithPlaces(kinds: Set<MessageEvent.Kind>) -> [(event: MessageEvent, after: Position)] {
        let markers = kinds.map { Array("kind\":\"\($0.rawValue)\"".utf8) }
        return nextWithPlaces { line in markers.contains { Self.find($0, in: line) } }.filter { kinds.contains($0.event.kind) }
    }

    mutating func nextWithPlaces(where wanted: (UnsafeRawBufferPointer) -> Bool) -> [(event: MessageEvent, after: Position)] {
        var events: [(event: MessageEvent, after: Position)] = []
        for file in reader.files() where position == nil || file.lastPathComponent >= position!.file {
            let name = file.lastPathComponent
            let start = position?.file == name ? position!.offset : 0
            // Read in chunks: a follower starting on a big log does not load the rest of it at once.
            let end = EventLogScanner.scan(file, from: start) { line, offset in
                if wanted(line), let e = MessageEvent(line: line) {
                    events.append((e, Position(file: name, offset: offset + UInt64(line.count) + 1)))
                }
            }
            position = Position(file: name, offset: end)
        }
        return events
    }

    /// Moves the tail to a place it has passed (a follower going back to an event it could not act on).
    public mutating func rewind(to place: Position?) { position = place }

    /// Where the log ends now: a tail from here sees only lines written later (nil: no log yet, so a tail
    /// from the start sees the same).
    public static func end(of directory: URL) -> Position? {
        guard let last = EventLogReader(directory: directory).files().last else { return nil }
        return Position(file: last.lastPathComponent, offset: LogSource.size(of: last))
    }

    /// The job id of an event line, read in place from `"job":"<id>"` without decoding the line (ids are
    /// written unescaped, campaign ids being file-name safe). Raw webhook bodies hold theirs escaped, so
    /// they never match.
    public static func jobID(in line: UnsafeRawBufferPointer) -> String? {
        guard let start = offset(of: jobMarker, in: line).map({ $0 + jobMarker.count }),
            let quote = memchr(line.baseAddress! + start, Int32(UInt8(ascii: "\"")), line.count - start)
        else { return nil }
        let end = UnsafeRawPointer(quote) - line.baseAddress!
        return String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<end]), as: UTF8.self)
    }

    static let jobMarker = Array(#""job":""#.utf8)

    static func find(_ marker: [UInt8], in line: UnsafeRawBufferPointer) -> Bool { offset(of: marker, in: line) != nil }

    /// memchr for the marker's first byte, memcmp for the rest (Glibc's module does not export memmem).
    static func offset(of marker: [UInt8], in line: UnsafeRawBufferPointer) -> Int? {
        guard let base = line.baseAddress, let first = marker.first, line.count >= marker.count else { return nil }
        return marker.withUnsafeBytes { m in
            var offset = 0
            while offset + marker.count <= line.count, let hit = memchr(base + offset, Int32(first), line.count - marker.count + 1 - offset) {
                let at = UnsafeRawPointer(hit) - base
                if memcmp(base + at, m.baseAddress!, marker.count) == 0 { return at }
                offset = at + 1
            }
            return nil
        }
    }
}
