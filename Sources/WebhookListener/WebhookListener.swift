import EventLog
import Foundation
import Logging
import ServiceLifecycle
import WabulkBase

/// The HTTP endpoint Meta calls: GET for the verification handshake, POST for notifications.
/// A POST is answered 200 only after its events are durably in the event log.
public struct WebhookListener: Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var path: String
        public var appSecret: Secret?
        public var verifyToken: Secret?
        /// Accept unsigned POSTs when no app secret is set (testing only; `wabulk status` says so).
        public var insecure: Bool
        /// Meta's payloads go up to 3 MB; anything larger is answered 413.
        public var maxBodyBytes: Int
        /// A connection that sends nothing (headers or body) for this long is closed.
        public var readTimeout: Duration
        /// A request's headers must be in within this (slow-loris clients send a byte just inside `readTimeout`).
        public var headerTimeout: Duration
        /// A request's body must end within this of its headers.
        public var bodyTimeout: Duration
        /// Connections held at once; more wait in the kernel's accept queue.
        public var maxConnections: Int
        public var optOutKeywords: [String]
        /// The Prometheus text for GET /metrics; nil leaves the route out.
        public var metrics: (@Sendable () -> [UInt8])?
        /// Called with a POST's opt-outs once they are durable and before its 200, so sending stops for those
        /// numbers from the moment Meta is answered (the follower then records them everywhere).
        public var onOptOut: (@Sendable ([MessageEvent]) -> Void)?
        /// Where to note when each webhook field last arrived (`WebhookArrivals`; nil: not noted).
        public var arrivalsFile: URL?

        public init(
            host: String,
            port: Int,
            path: String,
            appSecret: Secret?,
            verifyToken: Secret?,
            insecure: Bool = false,
            maxBodyBytes: Int = 4 << 20,
            readTimeout: Duration = .seconds(10),
            headerTimeout: Duration = .seconds(10),
            bodyTimeout: Duration = .seconds(30),
            maxConnections: Int = 256,
            optOutKeywords: [String] = ["STOP", "UNSUBSCRIBE"],
            metrics: (@Sendable () -> [UInt8])? = nil,
            onOptOut: (@Sendable ([MessageEvent]) -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.path = path
            self.appSecret = appSecret
            self.verifyToken = verifyToken
            self.insecure = insecure
            self.maxBodyBytes = maxBodyBytes
            self.readTimeout = readTimeout
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.maxConnections = maxConnections
            self.optOutKeywords = optOutKeywords
            self.metrics = metrics
            self.onOptOut = onOptOut
        }
    }

    public enum StartError: Error, CustomStringConvertible {
        case noAppSecret
        public var description: String {
            "WHATSAPP_APP_SECRET is not set: webhooks cannot be verified (set WABULK_INSECURE_WEBHOOKS=true only for testing)"
        }
    }

    let options: Options
    let events: EventLogWriter
    let logger: Logger
    let now: @Sendable () -> Date

    public init(options: Options, events: EventLogWriter, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) throws(StartError) {
        if options.appSecret == nil && !options.insecure { throw .noAppSecret }
        self.options = options
        self.events = events
        self.logger = logger
        self.now = now
    }

    /// The HTTP server, a `Service` for the daemon's service group; `onRunning` is told the port it listens on.
    public func server(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let verifyToken = options.verifyToken
        let routes = WebhookHTTPHandler.Routes(
            path: options.path,
            maxBodyBytes: options.maxBodyBytes,
            intake: WebhookIntake(options: options, events: events, logger: logger, now: now),
            handshake: { query in
                guard query["hub.mode"] == "subscribe", let token = verifyToken, let given = query["hub.verify_token"],
                    WebhookSignature.tokenMatches(given, token)
                else { return nil }
                return query["hub.challenge"]
            },
            metrics: options.metrics
        )
        return WebhookServer(options: options, routes: routes, logger: logger, onRunning: onRunning)
    }
}
