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
        var events: [MessageEvent] = []
        for file in reader.files() where position == nil || file.lastPathComponent >= position!.file {
            let name = file.lastPathComponent
            let start = position?.file == name ? position!.offset : 0
            // Read in chunks: a follower starting on a big log does not load the rest of it at once.
            let end = EventLogScanner.scan(file, from: start) { line, _ in
                // A line without any wanted marker is skipped without decoding.
                if let markers, !markers.contains(where: { Self.find($0, in: line) }) { return }
                if let e = MessageEvent(line: line), kinds?.contains(e.kind) ?? true { events.append(e) }
            }
            position = Position(file: name, offset: end)
        }
        return events
    }

    /// memchr for the marker's first byte, memcmp for the rest (Glibc's module does not export memmem).
    static func find(_ marker: [UInt8], in line: UnsafeRawBufferPointer) -> Bool {
        guard let base = line.baseAddress, let first = marker.first, line.count >= marker.count else { return false }
        return marker.withUnsafeBytes { m in
            var offset = 0
            while offset + marker.count <= line.count, let hit = memchr(base + offset, Int32(first), line.count - marker.count + 1 - offset) {
                let at = UnsafeRawPointer(hit) - base
                if memcmp(base + at, m.baseAddress!, marker.count) == 0 { return true }
                offset = at + 1
            }
            return false
        }
    }
}
