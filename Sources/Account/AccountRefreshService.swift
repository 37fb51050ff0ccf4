import CloudAPI
import EventLog
import Foundation
import Logging
import ServiceLifecycle
import WabulkBase

/// Reads the sending number's fields from Meta at start-up and every `interval` (the messaging limit, the
/// quality rating) into var/account.json. A failed read keeps what was known and is logged.
public struct AccountRefreshService: Service {
    let home: HomeLayout
    let client: CloudAPIClient
    /// Where a change Meta reports is logged, for the report's history (nil: not logged).
    let events: EventLogWriter?
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        home: HomeLayout,
        client: CloudAPIClient,
        events: EventLogWriter? = nil,
        interval: Duration = .seconds(3600),
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.home = home
        self.client = client
        self.events = events
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        // A read that failed (Meta or the network not reachable yet at start) is tried again soon, the wait
        // doubling up to the normal interval, rather than leaving the limit unknown for an hour.
        var retry = Duration.seconds(5)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if await refreshOnce() != nil {
                retry = .seconds(5)
                _ = await sleepUnlessStopping(until: .now + interval)
            } else {
                _ = await sleepUnlessStopping(until: .now + min(retry, interval))
                retry = retry * 2
            }
        }
    }

    /// One read; returns what Meta said (nil when it could not be read).
    @discardableResult
    public func refreshOnce() async -> PhoneNumberInfo? {
        switch await client.phoneNumberInfo() {
        case .info(let info):
            let before = AccountState.load(home)
            do {
                try AccountState.update(home) { state in
                    let stamp = Timestamp.format(now())
                    if let limit = info.messagingLimit {
                        state.messagingLimit = limit
                        state.limitSource = .graph
                        state.limitAt = stamp
                    }
                    if let quality = info.quality {
                        state.quality = quality
                        state.qualityAt = stamp
                    }
                }
            } catch {
                logger.warning("account: what Meta said could not be kept: \(error)")
            }
            let limitChanged = info.messagingLimit != nil && info.messagingLimit != before?.messagingLimit
            let qualityChanged = info.quality != nil && info.quality != before?.quality
            if limitChanged || qualityChanged, let events {
                // A change seen by reading, logged like Meta's webhooks so the report's history holds both.
                let event = MessageEvent(
                    kind: .accountUpdate,
                    time: now(),
                    errorDetails: info.quality.map { "quality: \($0)" },
                    reason: "phone_number",
                    source: EventSource.graph.rawValue,
                    messagingLimit: info.messagingLimit?.eventValue
                )
                do { try await events.append(event, durable: false) } catch { logger.warning("account: the change could not be logged: \(error)") }
            }
            return info
        case .rejected(let error):
            logger.warning("account: Meta refused to describe the phone number: \(error.description)")
        case .failed(let reason):
            logger.warning("account: the phone number could not be read: \(reason)")
        }
        return nil
    }
}
