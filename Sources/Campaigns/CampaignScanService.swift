import Foundation
import ServiceLifecycle
import WabulkBase

/// The daemon's look, every `campaignScanSeconds`, at campaigns that plan more campaigns as time passes:
/// recurring campaigns' due occurrences, welcome campaigns' newcomers, sampled A/B tests' rest.
public struct CampaignScanService: Service {
    let recurring: RecurringCampaigns
    let welcome: TriggerCampaigns
    let winners: WinnerPicker
    let interval: Duration
    let now: @Sendable () -> Date

    public init(
        recurring: RecurringCampaigns,
        welcome: TriggerCampaigns,
        winners: WinnerPicker,
        interval: Duration,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.recurring = recurring
        self.welcome = welcome
        self.winners = winners
        self.interval = interval
        self.now = now
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let at = now()
            _ = await recurring.planDue(now: at)
            _ = await welcome.greetNew(now: at)
            _ = await winners.pickDue(now: at)
            _ = await sleepUnlessStopping(until: ContinuousClock.now + interval)
        }
    }
}
