import Foundation
import Logging
import ServiceLifecycle
import WabulkBase

/// Keeps the event log from growing with history, when the daemon starts and every six hours after:
/// blanks webhook bodies past their retention (`RawBodyRetention`), then compresses days that can no longer
/// change (`LogCompactor`).
public struct LogMaintenanceService: Service {
    let retention: RawBodyRetention
    let compactor: LogCompactor
    let logger: Logger
    let now: @Sendable () -> Date

    public init(retention: RawBodyRetention, compactor: LogCompactor, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.retention = retention
        self.compactor = compactor
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
            do {
                let done = try compactor.apply(now: now())
                if !done.compressed.isEmpty {
                    logger.notice(
                        "event log: compressed \(done.compressed.count) day(s) (\(done.compressed.first!) to \(done.compressed.last!)), \(done.plainBytes) bytes to \(done.compressedBytes)"
                    )
                }
                if !done.unreadable.isEmpty {
                    logger.error(
                        "event log: compressed day(s) \(done.unreadable.joined(separator: ", ")) cannot be read; reports leave them out until they are restored"
                    )
                }
            } catch {
                logger.warning("event log: days could not be compressed: \(error)")
            }
            _ = await sleepUnlessStopping(until: ContinuousClock.now + .seconds(6 * 3600))
        }
    }
}
