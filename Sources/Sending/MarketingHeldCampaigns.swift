import Foundation
import Spool

/// The campaigns a marketing hold keeps back, asked of the spool at most once a second while the hold lasts
/// (a query per claim would cost more than the sends it holds), plus any a worker found marketing since.
final class MarketingHeldCampaigns: @unchecked Sendable {
    private let lock = NSLock()
    private var campaigns: Set<String> = []
    private var readAt: ContinuousClock.Instant?

    func current(from spool: Spool) async -> Set<String> {
        let stale = lock.withLock { readAt.map { ContinuousClock.now - $0 >= .seconds(1) } ?? true }
        if stale, let read = try? await spool.marketingCampaigns() {
            lock.withLock {
                campaigns = read
                readAt = .now
            }
        }
        return lock.withLock { campaigns }
    }

    /// A worker claimed a marketing job under the hold: its campaign is kept back from now on.
    func add(_ campaign: String) { _ = lock.withLock { campaigns.insert(campaign) } }
}
