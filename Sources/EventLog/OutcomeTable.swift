/// What a message's error, skip reason and price are, as one interned entry: these few fields take a
/// handful of distinct values across a million messages, so each slot keeps one index instead of four
/// fields (a million slots are 12 MB smaller, which is what leaves the report its memory room).
struct OutcomeTable: Sendable {
    struct Outcome: Hashable, Sendable {
        /// Meta's code (Int32.min: none) and the interned title and details; both set and cleared together.
        var errorCode: Int32 = Int32.min
        var error: UInt32 = 0
        var reason: UInt32 = 0
        var pricing: UInt32 = 0
        /// `FailureKind`'s index + 1; 0 for none.
        var failure: UInt8 = 0
        /// Skipped by the opt-out rule (the skip event's source is `opt-out`).
        var suppressed = false
    }

    /// Index 0 is the empty outcome, so a fresh slot needs no lookup.
    private var entries: [Outcome] = [Outcome()]
    private var index: [Outcome: UInt32] = [Outcome(): 0]

    subscript(i: UInt32) -> Outcome { entries[Int(i)] }

    mutating func intern(_ outcome: Outcome) -> UInt32 {
        if let known = index[outcome] { return known }
        entries.append(outcome)
        let i = UInt32(entries.count - 1)
        index[outcome] = i
        return i
    }
}
