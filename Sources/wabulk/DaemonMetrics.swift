import Foundation
import Metrics
import Prometheus
import Spool

/// Prometheus metrics for /metrics: the stages count through swift-metrics; the queue depth is read from
/// the spool when scraped, so it is never stale.
enum DaemonMetrics {
    static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    /// Once per process (swift-metrics allows one bootstrap).
    static func bootstrap() { _ = bootstrapped }

    /// The last scrape and when it was made: a caller hammering /metrics (it is not authenticated) gets the
    /// same text for a second instead of a count of the spool per request.
    private static let lastScrape = NSLock()
    nonisolated(unsafe) private static var cached: (at: ContinuousClock.Instant, text: [UInt8])?

    static func scrape(spool: URL) -> [UInt8] {
        lastScrape.withLock {
            if let cached, ContinuousClock.now - cached.at < .seconds(1) { return cached.text }
            let text = freshScrape(spool: spool)
            cached = (ContinuousClock.now, text)
            return text
        }
    }

    private static func freshScrape(spool: URL) -> [UInt8] {
        let queueDepth = MetricNameDescriptor(namespace: "wabulk", metricName: "queue", unitName: "depth", helpText: "Jobs in the spool by state")
        let depth = Spool.depth(in: spool)
        for (state, value) in [("ready", depth.ready), ("deferred", depth.deferred), ("active", depth.active), ("failed", depth.failed)] {
            registry.makeGauge(descriptor: queueDepth, labels: [("state", state)]).set(Double(value))
        }
        return registry.emitToBuffer()
    }
}
