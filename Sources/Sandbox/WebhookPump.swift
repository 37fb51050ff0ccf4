import Curl
import Foundation
import HeapModule
import Logging
import ServiceLifecycle
import WabulkBase
import WebhookListener

/// Posts scheduled status webhooks to the listener the way Meta does: signed, batched, and retried
/// with backoff until answered 200.
actor WebhookPump {
    struct Pending: Comparable {
        var due: ContinuousClock.Instant
        /// Scheduling order, so statuses due at the same instant go in the order they were made.
        var order: Int
        var status: [String: Any]
        var attempts: Int

        static func < (a: Pending, b: Pending) -> Bool { (a.due, a.order) < (b.due, b.order) }
        static func == (a: Pending, b: Pending) -> Bool { a.due == b.due && a.order == b.order }
    }

    /// By due time: at a thousand sends a second, scanning an array of every pending status on each
    /// pass took more of the machine than the daemon under test.
    private var pending = Heap<Pending>()
    private var scheduled = 0
    private(set) var stats = SandboxStats()
    private let url: String?
    private let secret: Secret
    private let phoneNumberID: String
    private let http = CurlPool()
    private let clock = ContinuousClock()
    private let logger: Logger

    private let retryCap: Duration

    let subscriptions: SandboxSubscriptions

    init(url: String?, secret: Secret, phoneNumberID: String, retryCap: Duration, subscriptions: SandboxSubscriptions, logger: Logger) {
        self.subscriptions = subscriptions
        self.retryCap = retryCap
        self.url = url
        self.secret = secret
        self.phoneNumberID = phoneNumberID
        self.logger = logger
    }

    func schedule(_ status: [String: Any], after delay: Duration) {
        guard url != nil else { return }
        scheduled += 1
        pending.insert(Pending(due: clock.now + delay, order: scheduled, status: status, attempts: 0))
        stats.statusesPending = pending.count
    }

    func count(accepted: Bool) {
        if accepted { stats.accepted += 1 } else { stats.rejected += 1 }
    }

    func currentStats() -> SandboxStats { stats }

    func run() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = clock.now
            var batch: [Pending] = []
            while batch.count < 100, let first = pending.min, first.due <= now { batch.append(pending.removeMin()) }
            if batch.isEmpty {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            // The app does not subscribe to `messages`: Meta drops them, never retried.
            guard await subscriptions.allows(.messages) else {
                stats.notSubscribed += batch.count
                stats.statusesPending = pending.count
                continue
            }
            let ok = await post(batch.map(\.status))
            stats.webhookPosts += 1
            if ok {
                stats.statusesDelivered += batch.count
            } else {
                stats.webhookFailures += 1
                // Meta retries with decreasing frequency; here: 0.5 s doubling, up to the script's cap.
                for var item in batch {
                    item.attempts += 1
                    item.due = clock.now + min(retryCap, .milliseconds(500 << min(item.attempts, 6)))
                    pending.insert(item)
                }
            }
            stats.statusesPending = pending.count
        }
    }

    private func post(_ statuses: [[String: Any]]) async -> Bool {
        guard let url else { return true }
        let envelope: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [
                [
                    "id": "102290129340398",
                    "changes": [
                        [
                            "field": "messages",
                            "value": [
                                "messaging_product": "whatsapp",
                                "metadata": ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID],
                                "statuses": statuses,
                            ] as [String: Any],
                        ]
                    ],
                ] as [String: Any]
            ],
        ]
        return await deliver(envelope) == 200
    }

    /// An account-level change (`account_update`, `phone_number_quality_update`, `business_capability_update`):
    /// no metadata, an integer `time` on the entry. Tried up to five times, half a second apart; returns the
    /// listener's last answer (0: not reached).
    func postAccountChange(_ json: Data) async -> Int {
        guard let change = try? JSONSerialization.jsonObject(with: json) else { return 0 }
        if let field = ((change as? [String: Any])?["field"] as? String).flatMap(WebhookField.init(rawValue:)),
            await !subscriptions.allows(field)
        {
            stats.notSubscribed += 1
            return 0
        }
        let envelope: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": "102290129340398", "time": Int(Date().timeIntervalSince1970), "changes": [change]] as [String: Any]],
        ]
        var status = 0
        for attempt in 0..<5 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(500)) }
            status = await deliver(envelope)
            if status == 200 { break }
        }
        return status
    }

    /// Signs and posts one body; the listener's status (0 when it could not be reached).
    private func deliver(_ envelope: [String: Any]) async -> Int {
        guard let url else { return 0 }
        // Unsorted, like Meta's own bodies (and corelibs Foundation's key sort is slow: locale-aware compares).
        guard let body = try? JSONSerialization.data(withJSONObject: envelope, options: [.withoutEscapingSlashes]) else { return 0 }
        let bytes = [UInt8](body)
        let request = HTTPRequest(
            method: "POST",
            url: url,
            headers: [
                ("Content-Type", "application/json"),
                (WebhookSignature.headerName, WebhookSignature.sign(bytes, secret: secret)),
            ],
            body: bytes,
            timeout: 10
        )
        do {
            let response = try await http.perform(request)
            if response.status != 200 { logger.warning("sandbox: webhook answered \(response.status)") }
            return response.status
        } catch {
            logger.warning("sandbox: webhook not delivered: \(error)")
            return 0
        }
    }
}
