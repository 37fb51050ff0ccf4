import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WabulkBase

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: inbox watcher, dispatcher and webhook listener in one process.",
        discussion: "Stops cleanly on SIGINT or SIGTERM: no new sends start, in-flight sends are recorded, logs are flushed."
    )

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let (home, settings) = try homeOptions.layout()
        let credentials = Credentials.fromEnvironment()
        var configured = Logger(label: "wabulk", factory: DaemonLogHandler.init(label:))
        configured.logLevel = logLevel
        let logger = configured
        let (clock, clockFile) = WallClock.fromEnvironment()
        if let clockFile { logger.warning("schedules follow the time in \(clockFile) (\(WallClock.fileVariable)), not the system clock") }
        let daemon = try Daemon(home: home, settings: settings, credentials: credentials, logger: logger, clock: clock) { port in
            logger.info("listening for webhooks on \(settings.listen.host):\(port)\(settings.webhookPath)")
        }
        logger.info("wabulk running in \(home.root.path) at \(settings.rate), Graph API \(settings.apiBaseURL)/\(settings.apiVersion)")
        let group = ServiceGroup(configuration: .init(services: daemon.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("wabulk stopped")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
