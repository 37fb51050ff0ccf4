import Logging
import ServiceLifecycle

/// The daemon's periodic template refresh (hourly by default, as the seed system cached them). A failed
/// refresh keeps the last good cache (see `TemplateSync`) and is only logged: sending goes on.
public struct TemplateRefreshService: Service {
    let sync: TemplateSync
    let interval: Duration
    let logger: Logger
    let afterRefresh: @Sendable () -> Void

    public init(sync: TemplateSync, interval: Duration, logger: Logger, afterRefresh: @escaping @Sendable () -> Void = {}) {
        self.sync = sync
        self.interval = interval
        self.logger = logger
        self.afterRefresh = afterRefresh
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let result = try await sync.refresh()
                    logger.info("templates: \(result.templates) templates in \(result.pages) pages")
                    afterRefresh()
                } catch {
                    logger.warning("templates: refresh failed, keeping the last good list: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
