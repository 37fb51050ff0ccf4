import Foundation
import Logging
import ServiceLifecycle
import WabulkBase

/// Applies `RawBodyRetention` when the daemon starts and every six hours after.
public struct RawBodyRetentionService: Service {
    let retention: RawBodyRetention
    let logger: Logger
    let now: @Sendable () -> Date

    public init(retention: RawBodyRetention, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.retention = retention
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let blanked = try retention.apply(now: now())
                if blanked > 0 { logger.notice("event log: blanked \(blanked) webhook bodies older than \(retention.days) days") }
            } catch {
                logger.warning("event log: webhook bodies could not be blanked: \(error)")
            }
            _ = await sleepUnlessStopping(until: ContinuousClock.now + .seconds(6 * 3600))
        }
    }
}
