import EventLog
import Foundation
import Logging
import Spool
import WabulkBase

/// Finishes A/B tests run on a sample (`"winnerAfter": "6h", "holdout": 80`): once the time has passed since
/// the campaign was planned, the variant with the best read rate (read of delivered; a tie goes to the earlier
/// variant) is sent to the held-out people as a campaign of its own, `<id>--rest`.
public struct WinnerPicker: Sendable {
    let planner: CampaignPlanner
    let spoolDirectory: URL
    let logger: Logger

    public init(planner: CampaignPlanner, spoolDirectory: URL, logger: Logger) {
        self.planner = planner
        self.spoolDirectory = spoolDirectory
        self.logger = logger
    }

    /// Plans the rest of each test whose time has come; returns the ids planned.
    public func pickDue(now: Date) async -> [String] {
        var planned: [String] = []
        for record in CampaignRecord.loadAll(in: planner.campaignsDirectory) where record.phase == .spooled && record.winner == nil {
            guard let variants = record.manifest.variants, let holdout = record.manifest.holdout,
                let after = record.manifest.winnerAfter.flatMap(FollowUpAudience.duration),
                let created = Timestamp.parse(record.createdAt), now >= created.addingTimeInterval(after)
            else { continue }
            let winner = Self.winner(of: record.id, variants: variants, logDirectory: planner.logDirectory)
            var rest = record.manifest
            rest.id = "\(record.id)--rest"
            rest.template = variants[winner].template
            rest.variables = variants[winner].variables
            rest.variants = nil
            rest.winnerAfter = nil
            rest.holdout = nil
            do {
                try SpoolControl.inheritHold(from: record.id, to: rest.id, spool: spoolDirectory)
                let outcome: Result<CampaignPlanner.Plan, CampaignPlanner.PlanError>
                do {
                    outcome = .success(try await planner.plan(rest, sourceFile: record.sourceFile, heldOutOf: (record.id, holdout)))
                } catch { outcome = .failure(error) }
                switch outcome {
                case .success(let plan):
                    logger.notice("A/B test \(record.id): variant \(winner + 1) won; \(plan.queued) held-out messages queued as \(rest.id)")
                    planned.append(rest.id)
                case .failure(.duplicate): break  // planned before a crash kept the winner from being written down
                case .failure(.rejected(let why)): logger.notice("A/B test \(record.id): no held-out person to message: \(why)")
                case .failure(let other): throw other
                }
                try CampaignRecord.update(record.id, in: planner.campaignsDirectory) { $0.winner = winner }
            } catch {
                logger.warning("A/B test \(record.id): the rest could not be planned: \(error)")
            }
        }
        return planned
    }

    /// The variant with the best read rate so far (read of delivered); the first on a tie or with no reads.
    static func winner(of campaign: String, variants: [CampaignManifest.Variant], logDirectory: URL?) -> Int {
        guard let logDirectory else { return 0 }
        let shares = variants.map(\.share)
        var counts = [CampaignCounts](repeating: CampaignCounts(), count: variants.count)
        MessageLedger(selection: .forReport(in: logDirectory, campaign: campaign, from: nil, to: nil)).forEach(campaign: campaign, texts: true) { m in
            guard let phone = m.phone else { return }
            counts[VariantSplit.variant(campaign: campaign, phone: phone, shares: shares)].add(m)
        }
        var best = 0
        for i in counts.indices where counts[i].readRate > counts[best].readRate { best = i }
        return best
    }
}
