import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// What wabulk keeps about a campaign in var/campaigns/<id>.json: its manifest and how planning went.
/// Live counts are not stored here; they are folded from the event log whenever asked.
public struct CampaignRecord: Sendable, Equatable, Codable {
    public enum Phase: String, Sendable, Codable {
        /// Jobs are being written to the spool (a crash here is resumed on the next start).
        case planning
        /// Spooled; sending as time, window and rate allow.
        case spooled
        case cancelled
        /// A dry run: validated and counted, nothing spooled.
        case dryRun
        /// Repeats on a schedule: each occurrence is planned as a campaign of its own (`RecurringCampaigns`).
        case recurring
        /// Greets each contact that enters its audience later, once (`TriggerCampaigns`).
        case greeting
    }

    public var manifest: CampaignManifest
    public var phase: Phase
    public var createdAt: String
    public var sourceFile: String
    public var queued: Int
    public var skipped: [String: Int]
    /// A recurring campaign's last occurrence planned (or found to reach nobody): its campaign id.
    public var lastOccurrence: String?
    /// An A/B test with a holdout: the variant the held-out people were sent (index), once it was chosen.
    public var winner: Int?

    public var id: String { manifest.id }

    public static func file(_ id: String, in directory: URL) -> URL { directory.appendingPathComponent("\(id).json") }

    public static func load(_ id: String, in directory: URL) -> CampaignRecord? {
        guard let data = try? Data(contentsOf: file(id, in: directory)) else { return nil }
        return try? JSONDecoder().decode(CampaignRecord.self, from: data)
    }

    public static func loadAll(in directory: URL) -> [CampaignRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
            .compactMap { load(String($0.dropLast(5)), in: directory) }
    }

    /// The records of campaigns in `ids` and of those whose record changed since `since` (a record is
    /// written when its campaign is created): the status's window, without reading a year of records.
    public static func loadAll(in directory: URL, ids: Set<String>, changedSince since: Date) -> [CampaignRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().compactMap { name in
            let id = String(name.dropLast(5))
            if !ids.contains(id) {
                let modified =
                    (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path))?[.modificationDate] as? Date
                if let modified, modified < since { return nil }
            }
            return load(id, in: directory)
        }
    }

    /// Writes the record whole (a new campaign); changes to an existing one go through `update`.
    public func save(in directory: URL) throws {
        try Self.locked(directory) { try write(in: directory) }
    }

    /// Reads, changes and writes one record back while holding the folder's lock, so the daemon's planner
    /// and a `wabulk campaign cancel` beside it never undo each other's change. Nil when there is no record.
    @discardableResult
    public static func update(_ id: String, in directory: URL, _ change: (inout CampaignRecord) throws -> Void) throws -> CampaignRecord? {
        try locked(directory) {
            guard var record = load(id, in: directory) else { return nil }
            try change(&record)
            try record.write(in: directory)
            return record
        }
    }

    private func write(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: Self.file(id, in: directory))
    }

    /// An exclusive lock on `var/campaigns/.lock` for the length of `body`.
    private static func locked<T>(_ directory: URL, _ body: () throws -> T) throws -> T {
        try FileLock.withExclusive(directory.appendingPathComponent(".lock"), body)
    }
}
