/// How far planning a campaign has come. Kept in the spool and written in the same transaction as the jobs
/// of each batch, so a planner that starts again after a crash goes on after the last batch that landed:
/// no one is spooled twice, and no one is left out.
public struct PlanProgress: Sendable, Equatable {
    public var campaign: String
    /// Where the next batch starts: the last audience position (a phone number, or an index into a
    /// manifest's own list of numbers) whose contacts are spooled or counted. Nil: from the start.
    public var cursor: String?
    /// Jobs spooled so far; the next job's sequence is one more.
    public var jobs: Int
    /// Contacts counted as skipped so far (their lines are numbered `skip-N`), by reason.
    public var skipped: [String: Int]
    /// The whole audience is spooled.
    public var finished: Bool

    public var skips: Int { skipped.values.reduce(0, +) }

    public init(campaign: String, cursor: String? = nil, jobs: Int = 0, skipped: [String: Int] = [:], finished: Bool = false) {
        self.campaign = campaign
        self.cursor = cursor
        self.jobs = jobs
        self.skipped = skipped
        self.finished = finished
    }
}
