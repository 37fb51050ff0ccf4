import Foundation
import WabulkBase

/// The indexes of compressed days in one file, `var/log/index/compressed-days.json`, written by each
/// compaction: a compressed day never changes, so choosing days over a year of them reads one small file
/// instead of one per day (a status or a report over a year of logs read 365 of them, 0.03 s here).
extension LogDayIndex {
    static func summaryFile(in directory: URL) -> URL {
        directory.appendingPathComponent("index", isDirectory: true).appendingPathComponent("compressed-days.json")
    }

    /// The indexes of `files` (day files of one folder, as `EventLogReader.files()` gives them), in order.
    static func loadAll(_ files: [URL]) -> [LogDayIndex] {
        guard let directory = files.first?.deletingLastPathComponent() else { return [] }
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        let summary =
            (try? Data(contentsOf: summaryFile(in: directory)))
            .flatMap { try? JSONDecoder().decode([String: LogDayIndex].self, from: $0) } ?? [:]
        return files.map { file in
            let name = file.lastPathComponent
            // Only a day kept compressed alone: one in both forms may be a compaction's leftover, read plain.
            if !names.contains(name), names.contains(name + ".zst"), let index = summary[name], index.version == currentVersion {
                return index
            }
            return load(file)
        }
    }

    /// Writes the indexes of the days kept compressed alone whose extracts are compressed too (a day left
    /// otherwise by a stopped compaction is indexed from its own file until the next one).
    static func writeSummary(of files: [URL]) {
        guard let directory = files.first?.deletingLastPathComponent() else { return }
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        var summary: [String: LogDayIndex] = [:]
        for file in files where !names.contains(file.lastPathComponent) && names.contains(file.lastPathComponent + ".zst") {
            let index = load(file)
            guard index.version == currentVersion,
                Extract.allCases.allSatisfy({ e in
                    index.length(of: e) == 0 || access(LogSource.compressedPath(extractFile(e, for: file)).path, F_OK) == 0
                })
            else { continue }
            summary[file.lastPathComponent] = index
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let data = try? encoder.encode(summary) { try? AtomicFile.write(data, to: summaryFile(in: directory), durable: false) }
    }
}
