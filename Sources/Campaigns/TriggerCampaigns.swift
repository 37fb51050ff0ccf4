import Foundation
import Logging
import Spool
import WabulkBase

/// Greets contacts that enter a trigger campaign's audience (`"trigger": "contact-added"`) after it was
/// dropped: a new import, a new tag. Each look compares the audience with the people it already knows
/// (`<id>.known`, everyone in the audience when it was dropped and everyone greeted since) and plans the new
/// ones as a campaign of their own, `<id>--N`, at the campaign's rate and window; each person once, however
/// often they are imported again or tagged. The newcomers are written down (`<id>.pending`) before they are
/// planned, so a crash in between plans the same people under the same id, never twice.
public struct TriggerCampaigns: Sendable {
    let planner: CampaignPlanner
    let spoolDirectory: URL
    let logger: Logger

    public init(planner: CampaignPlanner, spoolDirectory: URL, logger: Logger) {
        self.planner = planner
        self.spoolDirectory = spoolDirectory
        self.logger = logger
    }

    /// Plans the people who entered each trigger campaign's audience since the last look; returns the ids of
    /// the campaigns planned for them.
    public func greetNew(now: Date) async -> [String] {
        let directory = planner.campaignsDirectory
        var planned: [String] = []
        for parent in CampaignRecord.loadAll(in: directory) where parent.phase == .greeting {
            if let until = parent.manifest.until.flatMap(Timestamp.parse), now > until { continue }
            do {
                var known = Self.load(Self.knownFile(parent.id, in: directory)) ?? []
                var pending = Self.loadPending(parent.id, in: directory)
                if pending == nil {
                    let newcomers = try planner.audiencePhones(parent.manifest).subtracting(known)
                    guard !newcomers.isEmpty else { continue }
                    let n = CampaignRecord.loadAll(in: directory).count { $0.id.hasPrefix("\(parent.id)--") } + 1
                    pending = ("\(parent.id)--\(n)", newcomers.sorted())
                    try Self.savePending(pending!, id: parent.id, in: directory)
                }
                let (id, phones) = pending!
                var manifest = parent.manifest
                manifest.id = id
                manifest.trigger = nil
                manifest.until = nil
                manifest.audience = .init(phones: phones)
                try SpoolControl.inheritHold(from: parent.id, to: id, spool: spoolDirectory)
                let outcome: Result<CampaignPlanner.Plan, CampaignPlanner.PlanError>
                do { outcome = .success(try await planner.plan(manifest, sourceFile: parent.sourceFile)) } catch { outcome = .failure(error) }
                switch outcome {
                case .success(let plan):
                    logger.notice("trigger campaign \(parent.id): \(phones.count) new contact(s), \(plan.queued) messages queued as \(id)")
                    planned.append(id)
                case .failure(.duplicate):
                    break  // planned before a crash kept it from being written down as done
                case .failure(.rejected(let why)):
                    logger.notice("trigger campaign \(parent.id): \(phones.count) new contact(s), none to message: \(why)")
                case .failure(let other):
                    throw other  // tried again on the next look, with the same people under the same id
                }
                known.formUnion(phones)
                try Self.saveKnown(known, id: parent.id, in: directory)
                try? FileManager.default.removeItem(at: Self.pendingFile(parent.id, in: directory))
            } catch {
                logger.warning("trigger campaign \(parent.id): \(error)")
            }
        }
        return planned
    }

    static func knownFile(_ id: String, in directory: URL) -> URL { directory.appendingPathComponent("\(id).known") }
    static func pendingFile(_ id: String, in directory: URL) -> URL { directory.appendingPathComponent("\(id).pending") }

    static func load(_ file: URL) -> Set<String>? {
        (try? String(contentsOf: file, encoding: .utf8)).map { Set($0.split(separator: "\n").map(String.init)) }
    }

    static func saveKnown(_ phones: Set<String>, id: String, in directory: URL) throws {
        try AtomicFile.write(Data(phones.sorted().map { $0 + "\n" }.joined().utf8), to: knownFile(id, in: directory))
    }

    /// The first line names the campaign the people below it are planned as.
    static func savePending(_ pending: (id: String, phones: [String]), id: String, in directory: URL) throws {
        try AtomicFile.write(Data(([pending.id] + pending.phones).map { $0 + "\n" }.joined().utf8), to: pendingFile(id, in: directory))
    }

    static func loadPending(_ id: String, in directory: URL) -> (id: String, phones: [String])? {
        guard let text = try? String(contentsOf: pendingFile(id, in: directory), encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        guard let first = lines.first else { return nil }
        return (first, Array(lines.dropFirst()))
    }
}
