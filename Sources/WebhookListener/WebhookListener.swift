import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
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

    /// The Hummingbird application, a `Service` for the daemon's service group.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        let options = options
        let events = events
        let logger = logger
        let now = now
        router.get("/healthz") { _, _ in "ok\n" }
        if let metrics = options.metrics {
            router.get("/metrics") { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: metrics())))
            }
        }
        // Made once: a counter's handler comes from the metrics factory, a lookup per creation.
        let outcomes = Dictionary(
            uniqueKeysWithValues: ["accepted", "too_large", "bad_signature", "malformed", "store_failed"].map {
                ($0, Counter(label: "wabulk_webhooks_total", dimensions: [("outcome", $0)]))
            }
        )
        let statusCounters = Dictionary(
            uniqueKeysWithValues: [MessageStatus.sent, .delivered, .read, .failed].map {
                ($0, Counter(label: "wabulk_message_statuses_total", dimensions: [("status", $0.rawValue)]))
            }
        )
        let signatureHeader = HTTPField.Name(WebhookSignature.headerName)!
        let keywords = OptOutKeywords(options.optOutKeywords)
        let links = UserLinkBook()
        // The HMAC key is derived once, not per request.
        let key = options.appSecret.map(WebhookSignature.key)
        let arrivals = options.arrivalsFile.map(WebhookArrivalRecorder.init(file:))
        @Sendable func count(_ outcome: String) { outcomes[outcome]?.increment() }
        router.get(RouterPath(options.path)) { request, _ -> Response in
            let query = request.uri.queryParameters
            guard query.get("hub.mode") == "subscribe", let token = options.verifyToken,
                let given = query.get("hub.verify_token"), WebhookSignature.tokenMatches(given, token),
                let challenge = query.get("hub.challenge")
            else {
                return Response(status: .forbidden)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: challenge)))
        }
        router.post(RouterPath(options.path)) { request, _ -> Response in
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: options.maxBodyBytes) } catch {
                count("too_large")
                return Response(status: .contentTooLarge)
            }
            let body = Array(buffer.readableBytesView)
            if let key {
                guard WebhookSignature.isValid(header: request.headers[signatureHeader], body: body, key: key) else {
                    logger.warning("webhook rejected: bad or missing signature")
                    count("bad_signature")
                    return Response(status: .unauthorized)
                }
            }
            let received = now()
            let parsed: [MessageEvent]
            var fields = Set<WebhookField>()
            do {
                parsed = try WebhookPayload.events(
                    from: body,
                    receivedAt: received,
                    optOutKeywords: keywords,
                    isKnownLink: { links.contains(phone: $0, userID: $1) },
                    seen: { fields.insert($0) }
                )
            } catch {
                count("malformed")
                return Response(status: .badRequest)
            }
            // The body as received goes first, in the same write and the same sync as its events.
            let raw = MessageEvent(kind: .webhook, time: received, source: EventSource.webhook.rawValue, raw: String(decoding: body, as: UTF8.self))
            do {
                try await events.append([raw] + parsed, durable: true)
            } catch {
                logger.error("webhook events could not be stored: \(error)")
                // Meta retries anything but 200: nothing is lost.
                count("store_failed")
                return Response(status: .internalServerError)
            }
            arrivals?.record(fields, statuses: parsed.contains { $0.kind == .status }, at: received)
            links.remember(parsed.compactMap { e in e.kind == .userLink ? e.phone.flatMap { p in e.userID.map { (p, $0) } } : nil })
            if let onOptOut = options.onOptOut {
                let optOuts = parsed.filter { $0.kind == .optOut }
                if !optOuts.isEmpty { onOptOut(optOuts) }
            }
            count("accepted")
            for e in parsed where e.kind == .status { e.status.flatMap { statusCounters[$0] }?.increment() }
            return Response(status: .ok)
        }
        @Sendable func amount(_ d: Duration) -> TimeAmount {
            .milliseconds(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
        }
        let header = amount(options.headerTimeout)
        let body = amount(options.bodyTimeout)
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestDeadlineHandler(header: header, body: body)],
                    idleTimeout: amount(options.readTimeout)
                )
            ),
            configuration: .init(
                address: .hostname(options.host, port: options.port),
                availableConnectionsDelegate: .maximum(options.maxConnections, logger: logger)
            ),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
            logger: logger
        )
    }
}
