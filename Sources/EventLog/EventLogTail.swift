import Foundation

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
        let markers = kinds.map { $0.map { Array("\"kind\":\"\($0.rawValue)\"".utf8) } }
        let decoder = JSONDecoder()
        var events: [MessageEvent] = []
        for file in reader.files() where position == nil || file.lastPathComponent >= position!.file {
            let name = file.lastPathComponent
            let start = position?.file == name ? position!.offset : 0
            guard let handle = try? FileHandle(forReadingFrom: file) else { continue }
            defer { try? handle.close() }
            try? handle.seek(toOffset: start)
            let data = (try? handle.readToEnd()) ?? Data()
            guard let lastNewline = data.lastIndex(of: 0x0A) else {
                position = Position(file: name, offset: start)
                continue
            }
            for line in data[data.startIndex...lastNewline].split(separator: 0x0A, omittingEmptySubsequences: true) {
                if let markers, !markers.contains(where: { Self.contains(line, $0) }) { continue }
                if let e = try? decoder.decode(MessageEvent.self, from: line), kinds?.contains(e.kind) ?? true { events.append(e) }
            }
            position = Position(file: name, offset: start + UInt64(lastNewline - data.startIndex + 1))
        }
        return events
    }

    static func contains(_ line: Data, _ marker: [UInt8]) -> Bool {
        line.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.count >= marker.count, let first = marker.first else { return false }
            var i = 0
            while i + marker.count <= bytes.count {
                if bytes[i] == first && marker.indices.allSatisfy({ bytes[i + $0] == marker[$0] }) { return true }
                i += 1
            }
            return false
        }
    }
}
