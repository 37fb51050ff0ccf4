import Foundation

/// Reads every event back, oldest file first. A torn last line (a crash mid-write) is skipped and counted.
public struct EventLogReader: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public struct Result: Sendable {
        public var events: [MessageEvent]
        public var unreadableLines: Int
    }

    public func files() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("events-") && $0.hasSuffix(".jsonl") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// A webhook line starts with its kind (keys are sorted; the first ones are absent for raw bodies).
    static let webhookLinePrefix = Array(#"{"kind":"webhook""#.utf8)

    /// Every event; raw webhook bodies only when asked (folds never need them, and they are the big lines).
    public func readAll(includingRawBodies: Bool = false) -> Result {
        var result = Result(events: [], unreadableLines: 0)
        for file in files() {
            guard let data = try? Data(contentsOf: file) else { continue }
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
                // Raw webhook bodies are kept for the record, not for folds: skip them before decoding.
                if !includingRawBodies, line.starts(with: Self.webhookLinePrefix) { continue }
                if let e = line.withUnsafeBytes({ MessageEvent(line: $0) }) {
                    result.events.append(e)
                } else {
                    result.unreadableLines += 1
                }
            }
        }
        return result
    }
}
