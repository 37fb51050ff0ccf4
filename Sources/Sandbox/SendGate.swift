/// Stops taking sends once one has come for a chosen number, until told to go on: lets a test act between
/// two sends of a campaign however slow its own machine is, instead of racing the send rate.
actor SendGate {
    private let pauseAfterDigits: String?
    private var closed = false
    private var fired = false

    init(pauseAfterDigits: String?) { self.pauseAfterDigits = pauseAfterDigits }

    /// Waits while the gate is closed (a held request stays unanswered, as a slow Meta would leave it), at
    /// most 30 s: a sandbox asked to stop waits for its requests, and nobody may come to open it.
    func waitUntilOpen() async {
        let deadline = ContinuousClock.now + .seconds(30)
        while closed, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// A send to `digits` arrived (accepted or refused): the gate closes behind it, once.
    func arrived(digits: String) {
        if digits == pauseAfterDigits, !fired {
            fired = true
            closed = true
        }
    }

    func open() { closed = false }
}
