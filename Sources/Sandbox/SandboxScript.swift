import Foundation
import WabulkBase

/// How the sandbox plays Meta: which sends fail and how, how fast statuses come back, who reads.
public struct SandboxScript: Sendable, Equatable {
    /// One scripted failure.
    public struct Failure: Sendable, Equatable {
        public enum Target: Sendable, Equatable {
            case phone(String)
            /// A deterministic share of all recipients (by a hash of the number).
            case share(Double)
        }
        public var target: Target
        public var code: Int
        /// Only the first N attempts for that recipient fail; nil: every attempt.
        public var times: Int?
        /// Accepted at send time, then reported as a `failed` status webhook.
        public var async: Bool

        public init(target: Target, code: Int, times: Int? = nil, async: Bool = false) {
            self.target = target
            self.code = code
            self.times = times
            self.async = async
        }

        /// Parses `+919800000001=131026`, `+919800000001=131000x2`, `share:0.05=131026`.
        public init?(parsing text: String, async: Bool) {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            if parts[0].hasPrefix("share:") {
                guard let share = Double(parts[0].dropFirst(6)), (0...1).contains(share) else { return nil }
                target = .share(share)
            } else {
                let digits = parts[0].filter(\.isNumber)
                guard !digits.isEmpty else { return nil }
                target = .phone(digits)
            }
            let codeParts = parts[1].split(separator: "x").map(String.init)
            guard let code = Int(codeParts[0]) else { return nil }
            self.code = code
            if codeParts.count == 2 {
                guard let n = Int(codeParts[1]), n > 0 else { return nil }
                times = n
            } else {
                times = nil
            }
            self.async = async
        }

        func matches(digits: String) -> Bool {
            switch target {
            case .phone(let p): p == digits
            case .share(let s): SandboxScript.fraction(of: digits, salt: code) < s
            }
        }
    }

    /// Sends to one recipient answered only after `delay`, longer than a client waits (Meta's frontends on a
    /// bad day): the message still goes out with its webhooks (`lost` false), or was dropped (`lost` true).
    public struct LateAnswer: Sendable, Equatable {
        public var digits: String
        public var delay: Duration
        /// Only the first N attempts for that recipient; nil: every attempt.
        public var times: Int?
        public var lost: Bool

        public init(phone: String, delay: Duration, times: Int? = nil, lost: Bool = false) {
            digits = phone.filter(\.isNumber)
            self.delay = delay
            self.times = times
            self.lost = lost
        }

        /// Parses `+919800000001=20000` (milliseconds) or `+919800000001=20000x1`.
        public init?(parsing text: String, lost: Bool) {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].contains(where: \.isNumber),
                let (ms, times) = SandboxScript.valueAndTimes(parsing: parts[1]), ms >= 0
            else { return nil }
            self.init(phone: parts[0], delay: .milliseconds(ms), times: times, lost: lost)
        }
    }

    public var failures: [Failure] = []
    public var lateAnswers: [LateAnswer] = []
    /// Share of delivered messages that are never read (deterministic per number).
    public var unreadShare: Double = 0.25
    /// Delay between a send and its `sent` status, and between later statuses.
    public var statusDelay: Duration = .milliseconds(200)
    /// When set, sends must carry exactly this bearer token; any other gets Meta's 190.
    public var expectedToken: String?
    /// Longest wait between redeliveries of a webhook the listener did not take (Meta backs off for days;
    /// tests keep it short).
    public var webhookRetryCap: Duration = .seconds(30)
    /// The template list answers with this Meta error code, for its first `times` calls (nil: always).
    public var templateFailure: (code: Int, times: Int?)?

    /// Uploaded media ids stop working after this many sends (nil: never).
    public var mediaExpiresAfterUses: Int?
    /// Meta's messaging limit: unique people accepted in a moving 24 hours; one more is refused (nil: none).
    public var messagingLimit: Int?
    /// No app is subscribed to the business account's webhooks (`/subscribed_apps` lists none).
    public var unsubscribed = false
    /// The webhook fields the app subscribes to: only these are posted (Meta drops the rest).
    public var subscribedFields = Set(WebhookField.allCases)
    /// The app's id, for `/{app-id}/subscriptions` (its token is `{app-id}|{app secret}`).
    public var appID = "1234567890"
    /// After the first accepted send to this number, later sends wait unanswered until POST /sandbox/resume.
    public var pauseAfter: String?
    /// The sandbox's clock for that window (tests move it a day on).
    public var now: @Sendable () -> Date = Date.init
    public init() {}

    public static func == (a: SandboxScript, b: SandboxScript) -> Bool {
        a.failures == b.failures && a.lateAnswers == b.lateAnswers && a.unreadShare == b.unreadShare && a.statusDelay == b.statusDelay
            && a.expectedToken == b.expectedToken && a.webhookRetryCap == b.webhookRetryCap
            && a.templateFailure?.code == b.templateFailure?.code && a.templateFailure?.times == b.templateFailure?.times
            && a.mediaExpiresAfterUses == b.mediaExpiresAfterUses && a.messagingLimit == b.messagingLimit
            && a.pauseAfter == b.pauseAfter && a.unsubscribed == b.unsubscribed && a.subscribedFields == b.subscribedFields
            && a.appID == b.appID
    }

    /// Parses `80008` (always) or `80008x2` (the first two calls).
    public static func templateFailure(parsing text: String) -> (code: Int, times: Int?)? { valueAndTimes(parsing: text) }

    /// `N` or `NxT`: a number, and how many times it applies (nil: always).
    static func valueAndTimes(parsing text: String) -> (Int, Int?)? {
        let parts = text.split(separator: "x").map(String.init)
        guard let code = parts.first.flatMap(Int.init), parts.count <= 2 else { return nil }
        if parts.count == 2 {
            guard let n = Int(parts[1]), n > 0 else { return nil }
            return (code, n)
        }
        return (code, nil)
    }

    /// A stable number in [0, 1) for a phone, so the same recipients fail or go unread on every run.
    static func fraction(of digits: String, salt: Int) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(truncatingIfNeeded: salt)
        for byte in digits.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return Double(hash % 1_000_000) / 1_000_000
    }

    public func isRead(digits: String) -> Bool { Self.fraction(of: digits, salt: 7) >= unreadShare }
}
