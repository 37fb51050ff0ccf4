/// One send request the sandbox received, as tests and the demo read it back.
public struct SandboxRecord: Codable, Sendable, Equatable {
    public var time: String
    public var to: String
    public var template: String
    public var language: String
    public var bodyParameters: [String]
    public var callbackData: String?
    /// The whole request body as it arrived, for tests that compare it with Meta's documented shape.
    public var request: String?
    /// "accepted", "error", or "lost" (taken, never acted on, answered too late: see `SandboxScript.LateAnswer`).
    public var outcome: String
    public var wamid: String?
    public var errorCode: Int?
    /// The status the sandbox will report last: read, delivered or failed (nil for errors).
    public var finalStatus: String?
}

/// Counters for waiting on the sandbox.
public struct SandboxStats: Codable, Sendable, Equatable {
    public var accepted = 0
    public var rejected = 0
    /// Status webhooks not yet answered 200 by the listener.
    public var statusesPending = 0
    public var statusesDelivered = 0
    public var webhookPosts = 0
    public var webhookFailures = 0
    /// Media uploads the sandbox accepted.
    public var mediaUploads = 0
    /// Statuses and account changes not posted: the app does not subscribe to their field.
    public var notSubscribed = 0
}
