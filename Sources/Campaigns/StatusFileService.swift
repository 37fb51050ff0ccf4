import EventLog
import Foundation
import Logging
import ServiceLifecycle
import WabulkBase

/// outbox/status.json and outbox/status.html, the seed system's dashboard (campaign progress and rates, the
/// queue, recent failures), rewritten atomically every `interval` so staff can look any time.
public struct StatusFileService: Service {
    let home: HomeLayout
    let settings: Settings
    let interval: Duration
    let logger: Logger

    public init(home: HomeLayout, settings: Settings, interval: Duration = .seconds(30), logger: Logger) {
        self.home = home
        self.settings = settings
        self.interval = interval
        self.logger = logger
        cache = Cache(directory: home.log)
    }

    public static func file(in home: HomeLayout) -> URL { home.outbox.appendingPathComponent("status.json") }

    /// The folded log and where reading stopped: each write reads only what is new, so an idle-waiting
    /// daemon does not re-read its whole log every 30 seconds, and nothing grows with the events read.
    final class Cache: @unchecked Sendable {
        let directory: URL
        var ledger = MessageLedger()
        var tally = StatusTally()
        var started = false
        init(directory: URL) { self.directory = directory }
    }
    let cache: Cache

    /// Writes status.json and status.html from one snapshot; `stopping`: the daemon's last write, which marks
    /// the page stale.
    public func writeOnce(now: Date = Date(), stopping: Bool = false) async throws {
        // One read of the new lines feeds both the fold and the tally; the first reads the status's window.
        if cache.started {
            cache.ledger.catchUp(logDirectory: cache.directory) { cache.tally.add($0) }
        } else {
            cache.ledger.catchUp(selection: StatusSnapshot.logSelection(home: home, now: now)) { cache.tally.add($0) }
            cache.started = true
        }
        var snapshot = await StatusSnapshot.take(home: home, settings: settings, now: now, ledger: cache.ledger, tally: &cache.tally)
        snapshot.writtenAt = Timestamp.format(now)
        snapshot.daemon = stopping ? "stopped" : "running"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(snapshot), to: Self.file(in: home), durable: false)
        let page = StatusPage.render(snapshot, timeZone: TimeZone(identifier: settings.timezone) ?? .gmt)
        try AtomicFile.write(Data(page.utf8), to: StatusPage.file(in: home), durable: false)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { try await writeOnce() } catch { logger.warning("status.json: \(error)") }
            _ = await sleepUnlessStopping(until: ContinuousClock.now + interval)
        }
        try? await writeOnce(stopping: true)
    }
}
