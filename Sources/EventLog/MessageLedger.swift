import Foundation
import WabulkBase

/// Folds the event log into each message's final state: monotonic (a status never goes back),
/// idempotent (a repeated event changes nothing) and independent of arrival order.
///
/// Kept compact so a million messages fold in about 45 MB: a message is a fixed 40-byte slot of numbers
/// (times in whole seconds; an interned campaign; one interned entry for its error, reason and price; the
/// log positions of the lines that carried its phone and name and its message id, read back when a report
/// asks), found through dense per-campaign arrays indexed by the job's sequence number.
public struct MessageLedger: Sendable {
    // MARK: storage

    /// 4,096 slots a chunk: the last chunk's unused room stays small.
    static let chunkShift = 12
    var chunks: [[Slot]] = []
    public internal(set) var count = 0

    var groups: [JobGroup] = []
    var groupIndex: [String: Int] = [:]
    var lastGroup = -1
    var otherJobs: [String: UInt32] = [:]

    var campaignNames = InternTable()
    var reasons = InternTable()
    var errors = InternTable()
    var pricings = InternTable()
    var outcomes = OutcomeTable()

    /// Log files scanned, by the index a TextRef names; lines applied from memory live in the arena.
    var files: [URL] = []
    var filePositions: [String: UInt64] = [:]
    var arena: [UInt8] = []

    /// Status events naming no job, joined through their message id once everything is read.
    var pending: [[UInt8]] = []
    /// Status events whose message id matched no send we know of (kept, never dropped).
    public private(set) var orphans: [MessageEvent] = []
    public private(set) var inboundCount = 0
    /// Customers' replies, in log order (an opt-out reply too: `optOutReplies` names those).
    public private(set) var replies: [Reply] = []
    /// Meta's ids of the replies that were opt-outs (STOP, the opt-out button).
    public private(set) var optOutReplies: Set<String> = []

    /// One inbound message, as the Replies sheet shows it.
    public struct Reply: Sendable, Equatable {
        public var time: Int
        public var phone: String
        public var text: String
        public var payload: String?
        /// Meta's id of the message it answered, when the person replied to one.
        public var replyTo: String?
        public var wamid: String?
    }
    /// Meta's word on the account (messaging limit, quality, standing), in log order: the report's history.
    public private(set) var accountUpdates: [MessageEvent] = []
    public private(set) var unreadableLines = 0

    public init() {}

    public init(events: [MessageEvent]) {
        self.init()
        for e in events { apply(e) }
        finish()
    }

    /// Every event of the log folder, read straight from the files.
    public init(logDirectory: URL) {
        self.init()
        catchUp(logDirectory: logDirectory)
    }

    /// The days a selection names, with only the lines it keeps of each (a report for a period).
    public init(selection: LogSelection) {
        self.init()
        catchUp(selection: selection)
    }

    /// Folds `selection`, telling `progress` the plain bytes read so far now and then (a report's progress line).
    public init(selection: LogSelection, progress: ((UInt64) -> Void)?) {
        self.init()
        catchUp(selection: selection, progress: progress)
    }

    /// Applies the lines written since the last call (all of them the first time), then joins pending events.
    /// `statusEvents` sees each status event read, for callers that also need single events (the status
    /// file's tally), so the log is read once. Once days are known, only the last two known and later ones
    /// are looked at: the writer appends to no day before the newest (two: a writer may finish a line in the
    /// old day just after another started the new one).
    public mutating func catchUp(logDirectory: URL, statusEvents: ((MessageEvent) -> Void)? = nil) {
        let floor = files.map(\.lastPathComponent).sorted().suffix(2).first ?? ""
        let days = EventLogReader(directory: logDirectory).files().filter { $0.lastPathComponent >= floor }
        catchUp(selection: LogSelection(days: days.map { LogSelection.Day(file: $0, filter: nil) }), statusEvents: statusEvents)
    }

    public mutating func catchUp(
        selection: LogSelection,
        statusEvents: ((MessageEvent) -> Void)? = nil,
        progress: ((UInt64) -> Void)? = nil
    ) {
        var before: UInt64 = 0
        for day in selection.days {
            // A snapshot folds to the same states as its day, but not through the same single events.
            let file = (statusEvents == nil ? day.snapshot : nil) ?? day.file
            let name = file.lastPathComponent
            let index: Int
            if let known = files.firstIndex(of: file) {
                index = known
            } else {
                files.append(file)
                index = files.count - 1
            }
            let from = filePositions[name] ?? 0
            // Raw webhook bodies are kept for the record, not for folds: skipped before parsing.
            var lines = 0
            let end = ParsedLogScanner.scan(file, from: from, skipping: EventLogReader.webhookLinePrefix, keeping: day.filter) {
                line,
                offset,
                fields in
                apply(line: line, fields: fields, ref: .file(index, offset: offset), statusEvents: statusEvents)
                lines += 1
                if lines & 0xFFF == 0 { progress?(before + offset) }
            }
            filePositions[name] = end
            before += end - from
            progress?(before)
        }
        finish()
    }

    /// One event from memory (tests, and callers folding what they just wrote).
    public mutating func apply(_ e: MessageEvent) {
        var line: [UInt8] = []
        EventLine.append(e, to: &line)
        withArenaCopy(of: line) { ledger, line, ref in ledger.apply(line: line, ref: ref) }
    }

    /// Keeps a line in the arena, so texts read from it later still resolve, and hands the kept copy on.
    mutating func withArenaCopy(of line: [UInt8], _ body: (inout MessageLedger, UnsafeRawBufferPointer, TextRef) -> Void) {
        let offset = arena.count
        arena += line
        arena.append(0x0A)
        let kept = arena
        kept.withUnsafeBytes { all in body(&self, UnsafeRawBufferPointer(rebasing: all[offset..<(offset + line.count)]), .arena(offset)) }
    }

    // MARK: folding

    static let statusBytes = Array("status".utf8)
    static let inboundBytes = Array("inbound".utf8)
    static let accountUpdateBytes = Array(MessageEvent.Kind.accountUpdate.rawValue.utf8)
    static let optOutKindBytes = Array(MessageEvent.Kind.optOut.rawValue.utf8)
    static let retryBytes = Array(EventSource.retry.rawValue.utf8)
    static let optOutBytes = Array(EventSource.optOut.rawValue.utf8)
    static let statusValues = MessageStatus.allCases.map { (Array($0.rawValue.utf8), $0) }
    static let failureValues = FailureKind.allCases.map { Array($0.rawValue.utf8) }

    static func failureCode(_ text: EventFields.Text, in line: UnsafeRawBufferPointer) -> UInt8? {
        failureValues.firstIndex { EventFields.equals(text, $0, in: line) }.map { UInt8($0 + 1) }
    }

    static func status(_ text: EventFields.Text?, in line: UnsafeRawBufferPointer) -> MessageStatus? {
        guard let text else { return nil }
        return statusValues.first { EventFields.equals(text, $0.0, in: line) }?.1
    }

    mutating func apply(line: UnsafeRawBufferPointer, ref: TextRef) {
        if line.starts(with: EventLogReader.webhookLinePrefix) { return }
        apply(line: line, fields: EventFields.parse(line), ref: ref, statusEvents: nil)
    }

    /// A line whose fields were found already (nil: not a flat line, so it is decoded).
    mutating func apply(line: UnsafeRawBufferPointer, fields: EventFields?, ref: TextRef, statusEvents: ((MessageEvent) -> Void)?) {
        guard let f = fields else {
            applyDecoded(line, statusEvents: statusEvents)
            return
        }
        guard let kind = f.kind else {
            unreadableLines += 1
            return
        }
        if EventFields.equals(kind, Self.inboundBytes, in: line) {
            inboundCount += 1
            if let e = MessageEvent(fields: f, in: line), let phone = e.phone, let at = e.date {
                replies.append(
                    Reply(
                        time: Int(at.timeIntervalSince1970),
                        phone: phone,
                        text: e.reason ?? "",
                        payload: e.payload,
                        replyTo: e.replyTo,
                        wamid: e.wamid
                    )
                )
            }
            return
        }
        if EventFields.equals(kind, Self.optOutKindBytes, in: line) {
            if let wamid = f.wamid { optOutReplies.insert(EventFields.string(wamid, in: line)) }
            return
        }
        if EventFields.equals(kind, Self.accountUpdateBytes, in: line) {
            if let e = MessageEvent(fields: f, in: line) { accountUpdates.append(e) }
            return
        }
        guard EventFields.equals(kind, Self.statusBytes, in: line), let status = Self.status(f.status, in: line) else { return }
        if let statusEvents, let e = MessageEvent(fields: f, in: line) { statusEvents(e) }
        if let job = f.job {
            let (slot, isNew) = slotFor(job: job, in: line)
            fold(f, status: status, line: line, ref: ref, into: slot, isNew: isNew)
        } else if f.wamid != nil {
            pending.append(Array(line))
        } else if let e = try? JSONDecoder().decode(MessageEvent.self, from: Data(line)) {
            orphans.append(e)
        }
    }

    /// A line the fast reader does not take (another writer's spacing or escapes): decoded, then applied
    /// in the log's own form from the arena.
    mutating func applyDecoded(_ line: UnsafeRawBufferPointer, statusEvents: ((MessageEvent) -> Void)?) {
        guard let e = try? JSONDecoder().decode(MessageEvent.self, from: Data(line)) else {
            unreadableLines += 1
            return
        }
        if e.kind == .status, e.status != nil { statusEvents?(e) }
        apply(e)
    }

    mutating func fold(_ f: EventFields, status: MessageStatus, line: UnsafeRawBufferPointer, ref: TextRef, into index: Int, isNew: Bool) {
        var s = self[slot: index]
        if isNew { s.status = Self.code(status) }
        if s.wamidRef == .none, f.wamid != nil { s.wamidRef = ref }
        if s.campaign == 0, let c = f.campaign { s.campaign = UInt16(clamping: campaignNames.intern(c, in: line)) }
        if s.identityRef == .none, f.phone != nil || f.name != nil { s.identityRef = ref }
        if let attempt = f.attempt { s.attempts = max(s.attempts, UInt8(clamping: attempt)) }
        let when = f.metaTime.map(Self.seconds(unix:)) ?? f.time.map { Self.seconds(iso: $0, in: line) } ?? 0
        if when != 0 {
            if s.first == 0 || when < s.first { s.first = when }
            func earliest(_ t: inout UInt32) { if t == 0 || when < t { t = when } }
            switch status {
            case .sent: earliest(&s.sent)
            case .delivered: earliest(&s.delivered)
            case .read:
                earliest(&s.read)
                earliest(&s.delivered)  // Meta skips "delivered" when the chat was open
            case .failed: earliest(&s.failed)
            default: break
            }
        }
        let before = outcomes[s.outcome]
        var outcome = before
        if let category = f.pricingCategory {
            outcome.pricing = pricings.intern(pair: category, f.pricingType, in: line)
        }
        // A failure without Meta's code (no answer, a network error) still has its title to explain it.
        if status == .failed || status == .deferred, f.errorCode != nil || f.errorTitle != nil {
            outcome.errorCode = f.errorCode.map { Int32(clamping: $0) } ?? Int32.min
            outcome.error = f.errorTitle == nil && f.errorDetails == nil ? 0 : errors.intern(pair: f.errorTitle, f.errorDetails, in: line)
            outcome.failure = f.failure.flatMap { Self.failureCode($0, in: line) } ?? 0
        }
        if let reason = f.reason, status == .skipped || status == .cancelled || status == .deferred || status == .failed {
            outcome.reason = reasons.intern(reason, in: line)
        }
        if status == .skipped {
            outcome.suppressed = f.source.map { EventFields.equals($0, Self.optOutBytes, in: line) } ?? false
        }
        let current = Self.status(s.status)
        if status == .queued, let source = f.source, EventFields.equals(source, Self.retryBytes, in: line), current == .failed {
            // `wabulk campaign retry-failed` put it back in line: it starts over.
            s.status = Self.code(.queued)
            outcome.errorCode = Int32.min
            outcome.error = 0
            outcome.failure = 0
            s.failed = 0
        } else if !isNew, Self.advances(from: current, to: status) {
            s.status = Self.code(status)
        }
        if outcome != before { s.outcome = outcomes.intern(outcome) }
        self[slot: index] = s
    }

    /// Joins status events that named no job to their message through its id; the rest become orphans.
    mutating func finish() {
        guard !pending.isEmpty else { return }
        var wanted: [String: [Int]] = [:]
        for (i, line) in pending.enumerated() {
            line.withUnsafeBytes { raw in
                if let f = EventFields.parse(raw), let w = f.wamid { wanted[EventFields.string(w, in: raw), default: []].append(i) }
            }
        }
        var found: [Int: Int] = [:]
        let texts = TextReader(self)
        for index in 0..<count {
            let ref = self[slot: index].wamidRef
            guard ref != .none, let wamid = texts.text(\.wamid, at: ref), let list = wanted[wamid] else { continue }
            for i in list where found[i] == nil { found[i] = index }
        }
        let lines = pending
        pending = []
        for (i, line) in lines.enumerated() {
            if let index = found[i] {
                withArenaCopy(of: line) { ledger, copy, ref in
                    guard let f = EventFields.parse(copy), let status = Self.status(f.status, in: copy) else { return }
                    ledger.fold(f, status: status, line: copy, ref: ref, into: index, isNew: false)
                }
            } else if let e = try? JSONDecoder().decode(MessageEvent.self, from: Data(line)) {
                orphans.append(e)
            }
        }
    }

    /// Whether `new` replaces `old`. Before a send lands, the latest step wins (a deferred message is
    /// sent again); from `sent` on, only a higher rank wins.
    static func advances(from old: MessageStatus, to new: MessageStatus) -> Bool {
        if old == .skipped || old == .cancelled { return false }
        if new == .skipped || new == .cancelled { return !old.isFinal }
        switch (old, new) {
        case (.queued, _), (.deferred, _), (.sending, _): return new != .queued
        default: return new.rank > old.rank
        }
    }
}
