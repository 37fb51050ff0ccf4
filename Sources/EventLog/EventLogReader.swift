import Foundation

/// Reads every event back, oldest file first. A torn last line (a crash mid-write) is skipped and counted.
public struct EventLogReader: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public struct Result: Sendable {
        public var events: [MessageEvent]
        public var unreadableLines: Int
    }

    /// Each day of the log by its plain file's path (`events-YYYY-MM-DD.jsonl`), oldest first, whether it is
    /// kept plain or compressed (`.jsonl.zst`): readers open it through `LogSource`, and saved places name it
    /// the same way before and after compression.
    public func files() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var days = Set<String>()
        for name in names where name.hasPrefix("events-") {
            if name.hasSuffix(".jsonl") {
                days.insert(name)
            } else if name.hasSuffix(".jsonl.zst") {
                days.insert(String(name.dropLast(4)))
            }
        }
        // Named as files: a URL built without saying so stats each path to find out.
        return days.sorted().map { directory.appendingPathComponent($0, isDirectory: false) }
    }

    /// The UTC day (`YYYY-MM-DD`) a day file holds.
    public static func day(of file: URL) -> String { String(file.lastPathComponent.dropFirst("events-".count).prefix(10)) }

    /// A webhook line starts with its kind (keys are sorted; the first ones are absent for raw bodies).
    static let webhookLinePrefix = Array(#"{"kind":"webhook""#.utf8)

    /// Every event; raw webhook bodies only when asked (folds never need them, and they are the big lines).
    public func readAll(includingRawBodies: Bool = false) -> Result {
        var result = Result(events: [], unreadableLines: 0)
        for file in files() {
            let end = EventLogScanner.scan(file) { line, _ in
                // Raw webhook bodies are kept for the record, not for folds: skip them before decoding.
                if !includingRawBodies, line.starts(with: Self.webhookLinePrefix) { return }
                if let e = MessageEvent(line: line) {
                    result.events.append(e)
                } else {
                    result.unreadableLines += 1
                }
            }
            // A last line without its newline: torn by a crash mid-write.
            if end < LogSource.size(of: file) { result.unreadableLines += 1 }
        }
        return result
    }
}
