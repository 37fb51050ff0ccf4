import Foundation
import WabulkBase

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
    }

    public var manifest: CampaignManifest
    public var phase: Phase
    public var createdAt: String
    public var sourceFile: String
    public var queued: Int
    public var skipped: [String: Int]

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

    public func save(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: Self.file(id, in: directory))
    }
}
