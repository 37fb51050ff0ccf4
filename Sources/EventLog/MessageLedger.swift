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

    struct Slot {
        /// Seconds since 2000-01-01 (0: never): the first event of any kind, then each status column.
        var first: UInt32 = 0, sent: UInt32 = 0, delivered: UInt32 = 0, read: UInt32 = 0, failed: UInt32 = 0
        /// Two 48-bit TextRefs: low 32 bits each, then both high 16-bit halves in one word.
        var identityLow: UInt32 = .max, wamidLow: UInt32 = .max, refHighs: UInt32 = .max
        /// The error, reason and price, as an entry of `outcomes`.
        var outcome: UInt32 = 0
        var campaign: UInt16 = 0
        var status: UInt8 = 0
        var attempts: UInt8 = 0

        /// The first line that carried the phone or the name (planning's queued line): both are read from it.
        var identityRef: TextRef {
            get { TextRef(UInt64(refHighs & 0xFFFF) << 32 | UInt64(identityLow)) }
            set { identityLow = UInt32(truncatingIfNeeded: newValue.value); refHighs = refHighs & 0xFFFF_0000 | UInt32(newValue.value >> 32 & 0xFFFF) }
        }
        /// The first line that carried Meta's message id.
        var wamidRef: TextRef {
            get { TextRef(UInt64(refHighs >> 16) << 32 | UInt64(wamidLow)) }
            set { wamidLow = UInt32(truncatingIfNeeded: newValue.value); refHighs = refHighs & 0xFFFF | UInt32(newValue.value >> 32 & 0xFFFF) << 16 }
        }
        var last: UInt32 { max(first, sent, delivered, read, failed) }
    }

    /// Where a text sits, in 48 bits: a log line (file index in 12 bits, byte offset in 35) or a line of the
    /// in-memory arena (top bit set).
    struct TextRef: Equatable {
        let value: UInt64
        init(_ value: UInt64) { self.value = value }
        static let none = TextRef(0xFFFF_FFFF_FFFF)
        static let arenaBit: UInt64 = 1 << 47
        static let offsetBits: UInt64 = 35
        static func file(_ index: Int, offset: UInt64) -> TextRef {
            // Beyond 4,095 day files or 32 GB in one file, the text is simply not kept (never in practice).
            guard index < 4095, offset < 1 << offsetBits else { return .none }
            return TextRef(UInt64(index) << offsetBits | offset)
        }
        static func arena(_ offset: Int) -> TextRef { offset < 1 << 47 - 1 ? TextRef(arenaBit | UInt64(offset)) : .none }
        var isArena: Bool { value & Self.arenaBit != 0 && self != .none }
        var fileIndex: Int { Int(value >> Self.offsetBits) }
        var offset: UInt64 { isArena ? value & (Self.arenaBit - 1) : value & (1 << Self.offsetBits - 1) }
    }

    /// 4,096 slots a chunk: the last chunk's unused room stays small.
    static let chunkShift = 12
    private var chunks: [[Slot]] = []
    public private(set) var count = 0

    private var groups: [JobGroup] = []
    private var groupIndex: [String: Int] = [:]
    private var lastGroup = -1
    private var otherJobs: [String: UInt32] = [:]

    private var campaignNames = InternTable()
    private var reasons = InternTable()
    private var errors = InternTable()
    private var pricings = InternTable()
    private var outcomes = OutcomeTable()

    /// Log files scanned, by the index a TextRef names; lines applied from memory live in the arena.
    private var files: [URL] = []
    private var filePositions: [String: UInt64] = [:]
    private var arena: [UInt8] = []

    /// Status events naming no job, joined through their message id once everything is read.
    private var pending: [[UInt8]] = []
    /// Status events whose message id matched no send we know of (kept, never dropped).
    public private(set) var orphans: [MessageEvent] = []
    public private(set) var inboundCount = 0
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

    /// Applies the lines written since the last call (all of them the first time), then joins pending events.
    /// `statusEvents` sees each status event read, for callers that also need single events (the status
    /// file's tally), so the log is read once.
    public mutating func catchUp(logDirectory: URL, statusEvents: ((MessageEvent) -> Void)? = nil) {
        for file in EventLogReader(directory: logDirectory).files() {
            let name = file.lastPathComponent
            let index: Int
            if let known = files.firstIndex(of: file) { index = known } else { files.append(file); index = files.count - 1 }
            let from = filePositions[name] ?? 0
            // Raw webhook bodies are kept for the record, not for folds: skipped before parsing.
            filePositions[name] = ParsedLogScanner.scan(file, from: from, skipping: EventLogReader.webhookLinePrefix) { line, offset, fields in
                apply(line: line, fields: fields, ref: .file(index, offset: offset), statusEvents: statusEvents)
            }
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
    private mutating func withArenaCopy(of line: [UInt8], _ body: (inout MessageLedger, UnsafeRawBufferPointer, TextRef) -> Void) {
        let offset = arena.count
        arena += line
        arena.append(0x0A)
        let kept = arena
        kept.withUnsafeBytes { all in body(&self, UnsafeRawBufferPointer(rebasing: all[offset..<(offset + line.count)]), .arena(offset)) }
    }

    // MARK: folding

    static let statusBytes = Array("status".utf8)
    static let inboundBytes = Array("inbound".utf8)
    static let retryBytes = Array(EventSource.retry.rawValue.utf8)
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
        guard let kind = f.kind else { unreadableLines += 1; return }
        if EventFields.equals(kind, Self.inboundBytes, in: line) { inboundCount += 1; return }
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
    private mutating func applyDecoded(_ line: UnsafeRawBufferPointer, statusEvents: ((MessageEvent) -> Void)?) {
        guard let e = try? JSONDecoder().decode(MessageEvent.self, from: Data(line)) else {
            unreadableLines += 1
            return
        }
        if e.kind == .status, e.status != nil { statusEvents?(e) }
        apply(e)
    }

    private mutating func fold(_ f: EventFields, status: MessageStatus, line: UnsafeRawBufferPointer, ref: TextRef, into index: Int, isNew: Bool) {
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
            case .read: earliest(&s.read); earliest(&s.delivered)  // Meta skips "delivered" when the chat was open
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
    private mutating func finish() {
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

    // MARK: slots and keys

    subscript(slot index: Int) -> Slot {
        get { chunks[index >> Self.chunkShift][index & (1 << Self.chunkShift - 1)] }
        set { chunks[index >> Self.chunkShift][index & (1 << Self.chunkShift - 1)] = newValue }
    }

    private mutating func newSlot() -> Int {
        if count >> Self.chunkShift == chunks.count {
            // Fixed-size chunks: growing one array by doubling would hold two copies at the peak.
            var chunk: [Slot] = []
            chunk.reserveCapacity(1 << Self.chunkShift)
            chunks.append(chunk)
        }
        chunks[count >> Self.chunkShift].append(Slot())
        count += 1
        return count - 1
    }

    private mutating func slotFor(job: EventFields.Text, in line: UnsafeRawBufferPointer) -> (Int, Bool) {
        switch JobKey(job, in: line) {
        case .indexed(let prefix, let number, let skip):
            let g = group(prefix, in: line)
            if let existing = groups[g].slot(number, skip: skip) { return (existing, false) }
            let index = newSlot()
            groups[g].set(number, skip: skip, slot: index)
            return (index, true)
        case .other:
            let id = EventFields.string(job, in: line)
            if let existing = otherJobs[id] { return (Int(existing), false) }
            let index = newSlot()
            otherJobs[id] = UInt32(index)
            return (index, true)
        }
    }

    private mutating func group(_ prefix: Range<Int>, in line: UnsafeRawBufferPointer) -> Int {
        let bytes = UnsafeRawBufferPointer(rebasing: line[prefix])
        if lastGroup >= 0, groups[lastGroup].nameBytes.count == bytes.count,
           groups[lastGroup].nameBytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) { return lastGroup }
        let name = String(decoding: bytes, as: UTF8.self)
        if let known = groupIndex[name] { lastGroup = known; return known }
        groups.append(JobGroup(name: name))
        groupIndex[name] = groups.count - 1
        lastGroup = groups.count - 1
        return lastGroup
    }

    func slotIndex(job: String) -> Int? {
        var utf8 = job
        return utf8.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            let text = EventFields.Text(start: 0, end: raw.count, escaped: false)
            switch JobKey(text, in: raw) {
            case .indexed(let prefix, let n, let skip):
                guard let g = groupIndex[String(decoding: UnsafeRawBufferPointer(rebasing: raw[prefix]), as: UTF8.self)] else { return nil }
                return groups[g].slot(n, skip: skip)
            case .other:
                return otherJobs[job].map(Int.init)
            }
        }
    }

    // MARK: phones, times, statuses

    /// Whole seconds since 2000-01-01, so a time fits 32 bits until 2136; 0 means never.
    static let epoch2000: Int = 946_684_800

    static func seconds(unix: Int) -> UInt32 { UInt32(clamping: max(1, unix - epoch2000)) }

    static func unix(_ seconds: UInt32) -> Int? { seconds == 0 ? nil : Int(seconds) + epoch2000 }

    /// "YYYY-MM-DDTHH:MM:SS…Z" read directly; other spellings through Timestamp.
    static func seconds(iso text: EventFields.Text, in line: UnsafeRawBufferPointer) -> UInt32 {
        let n = text.end - text.start
        func digits(_ at: Int, _ width: Int) -> Int? {
            var v = 0
            for i in at..<(at + width) {
                let b = line[text.start + i]
                guard b >= 0x30, b <= 0x39 else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            return v
        }
        if n >= 20, line[text.start + n - 1] == UInt8(ascii: "Z"), line[text.start + 10] == UInt8(ascii: "T"),
           let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2), let h = digits(11, 2), let mi = digits(14, 2), let s = digits(17, 2) {
            return seconds(unix: daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
        }
        return Timestamp.parse(EventFields.string(text, in: line)).map { seconds(unix: Int($0.timeIntervalSince1970.rounded(.down))) } ?? 0
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static let allStatuses = MessageStatus.allCases
    static func code(_ status: MessageStatus) -> UInt8 { UInt8(allStatuses.firstIndex(of: status)!) }
    static func status(_ code: UInt8) -> MessageStatus { allStatuses[Int(code)] }

    // MARK: reading

    /// One message as numbers and shared strings; `name` and `wamid` only when asked for (they are read
    /// back from the log).
    public struct Message: Sendable {
        public var status: MessageStatus
        public var campaign: String?
        public var phone: String?
        public var name: String?
        public var wamid: String?
        public var hasWamid: Bool
        public var attempts: Int
        public var errorCode: Int?
        public var errorTitle: String?
        public var errorDetails: String?
        public var failure: FailureKind?
        public var reason: String?
        public var pricingCategory: String?
        public var pricingType: String?
        /// Unix seconds of the first and last event and of each status column.
        public var firstSeen: Int?
        public var lastSeen: Int?
        public var sentAt: Int?
        public var deliveredAt: Int?
        public var readAt: Int?
        public var failedAt: Int?
    }

    func message(_ index: Int, texts: TextReader?) -> Message {
        let s = self[slot: index]
        let o = outcomes[s.outcome]
        let error = o.error == 0 ? nil : errors.pair(o.error)
        let pricing = o.pricing == 0 ? nil : pricings.pair(o.pricing)
        let identity = s.identityRef == .none ? nil : texts?.identity(at: s.identityRef)
        return Message(
            status: Self.status(s.status), campaign: s.campaign == 0 ? nil : campaignNames.value(UInt32(s.campaign)),
            phone: identity?.phone, name: identity?.name,
            wamid: s.wamidRef == .none ? nil : texts?.text(\.wamid, at: s.wamidRef),
            hasWamid: s.wamidRef != .none, attempts: Int(s.attempts),
            errorCode: o.errorCode == Int32.min ? nil : Int(o.errorCode), errorTitle: error?.0, errorDetails: error?.1,
            failure: o.failure == 0 ? nil : FailureKind.allCases[Int(o.failure) - 1],
            reason: o.reason == 0 ? nil : reasons.value(o.reason), pricingCategory: pricing?.0, pricingType: pricing?.1,
            firstSeen: Self.unix(s.first), lastSeen: Self.unix(s.last), sentAt: Self.unix(s.sent),
            deliveredAt: Self.unix(s.delivered), readAt: Self.unix(s.read), failedAt: Self.unix(s.failed))
    }

    /// Every message in job order (campaign by campaign, then by sequence number; skipped ones after; jobs
    /// of other shapes last, by id), optionally of one campaign. `texts` reads names and message ids back.
    public func forEach(campaign: String? = nil, texts: Bool = true, _ body: (Message) throws -> Void) rethrows {
        try visit(campaign: campaign, texts: texts, jobs: false) { _, m in try body(m) }
    }

    /// The same, with each message's job id (spelled out only here: a report of a million rows needs none).
    public func forEachWithJob(campaign: String? = nil, _ body: (String, Message) throws -> Void) rethrows {
        try visit(campaign: campaign, texts: true, jobs: true, body)
    }

    private func visit(campaign: String?, texts: Bool, jobs: Bool, _ body: (String, Message) throws -> Void) rethrows {
        let reader = texts ? TextReader(self) : nil
        let wanted: UInt16? = campaign.map { UInt16(clamping: campaignNames.index(of: $0) ?? UInt32(UInt16.max)) }
        func visit(_ index: Int, _ job: () -> String) throws {
            if let wanted, self[slot: index].campaign != wanted { return }
            try body(jobs ? job() : "", message(index, texts: reader))
        }
        for g in groups.indices.sorted(by: { groups[$0].name < groups[$1].name }) {
            let group = groups[g]
            for (n, slot) in group.numbered.enumerated() where slot != 0 {
                try visit(Int(slot - 1)) { group.name + "." + JobKey.sequence(n) }
            }
            for (n, slot) in group.skips.enumerated() where slot != 0 {
                try visit(Int(slot - 1)) { group.name + ".skip-" + String(n) }
            }
        }
        for (job, slot) in otherJobs.sorted(by: { $0.key < $1.key }) {
            try visit(Int(slot)) { job }
        }
    }

    public func records(campaign: String? = nil) -> [MessageRecord] {
        var out: [MessageRecord] = []
        forEachWithJob(campaign: campaign) { job, m in out.append(MessageRecord(job: job, message: m)) }
        return out
    }

    /// Messages by job id.
    public var messages: Messages { Messages(ledger: self) }

    public struct Messages {
        let ledger: MessageLedger
        public subscript(job: String) -> MessageRecord? {
            ledger.slotIndex(job: job).map { MessageRecord(job: job, message: ledger.message($0, texts: TextReader(ledger))) }
        }
        public var isEmpty: Bool { ledger.count == 0 }
        public var count: Int { ledger.count }
    }

    public var campaigns: [String] { campaignNames.values.sorted() }

    /// Reads texts back from the lines the slots point at.
    final class TextReader {
        private let files: [URL]
        private let arena: [UInt8]
        private var windows: [Int: LineWindow] = [:]

        init(_ ledger: MessageLedger) {
            files = ledger.files
            arena = ledger.arena
        }

        func text(_ field: KeyPath<EventFields, EventFields.Text?>, at ref: TextRef) -> String? {
            line(at: ref, window: field == \EventFields.wamid ? 1 : 0) { line in Self.field(field, in: line) } ?? nil
        }

        /// The phone and the name, from one parse of their line.
        func identity(at ref: TextRef) -> (phone: String?, name: String?)? {
            line(at: ref, window: 0) { line in
                guard let f = EventFields.parse(line) else { return (nil, nil) }
                return (f.phone.map { EventFields.string($0, in: line) }, f.name.map { EventFields.string($0, in: line) })
            }
        }

        private func line<T>(at ref: TextRef, window kind: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
            if ref.isArena {
                let offset = Int(ref.offset)
                return arena.withUnsafeBytes { all in
                    let rest = UnsafeRawBufferPointer(rebasing: all[offset...])
                    let end = rest.firstIndex(of: 0x0A) ?? rest.count
                    return body(UnsafeRawBufferPointer(rebasing: rest[0..<end]))
                }
            }
            let file = ref.fileIndex
            guard file < files.count else { return nil }
            // A window per file and kind: names come from planning's lines and message ids from the
            // dispatcher's, two far-apart runs of one file that a shared window would refill on every row.
            let key = file * 2 + kind
            let window: LineWindow
            if let open = windows[key] { window = open } else {
                guard let opened = LineWindow(files[file]) else { return nil }
                windows[key] = opened
                window = opened
            }
            return window.line(at: ref.offset).map(body)
        }

        static func field(_ field: KeyPath<EventFields, EventFields.Text?>, in line: UnsafeRawBufferPointer) -> String? {
            guard let f = EventFields.parse(line), let text = f[keyPath: field] else { return nil }
            return EventFields.string(text, in: line)
        }
    }
}

/// A job id as the planner writes it, `<campaign>.<7-digit sequence>` or `<campaign>.skip-<n>`, so it can
/// index a dense array; any other shape is kept as text.
enum JobKey {
    case indexed(prefix: Range<Int>, number: Int, skip: Bool)
    case other

    init(_ job: EventFields.Text, in line: UnsafeRawBufferPointer) {
        self = .other
        guard !job.escaped else { return }
        var dot = job.end - 1
        while dot > job.start, line[dot] != UInt8(ascii: ".") { dot -= 1 }
        guard dot > job.start else { return }
        var at = dot + 1
        var isSkip = false
        if job.end - at > 5, line[at] == UInt8(ascii: "s"), line[at + 1] == UInt8(ascii: "k"), line[at + 2] == UInt8(ascii: "i"),
           line[at + 3] == UInt8(ascii: "p"), line[at + 4] == UInt8(ascii: "-") {
            isSkip = true
            at += 5
        }
        let width = job.end - at
        guard width >= 1, width <= 9 else { return }
        var n = 0
        for i in at..<job.end {
            let b = line[i]
            guard b >= 0x30, b <= 0x39 else { return }
            n = n * 10 + Int(b - 0x30)
        }
        // Only the exact spelling the planner writes, so the id comes back byte for byte.
        if isSkip {
            guard line[at] != 0x30 || width == 1 else { return }
            self = .indexed(prefix: job.start..<dot, number: n, skip: true)
        } else {
            // The planner pads to 7 digits; a longer id has no leading zero. (Counted, not formatted: every line.)
            guard width == 7 || (width > 7 && line[at] != 0x30) else { return }
            self = .indexed(prefix: job.start..<dot, number: n, skip: false)
        }
    }

    static func sequence(_ n: Int) -> String {
        let digits = String(n)
        return digits.count >= 7 ? digits : String(repeating: "0", count: 7 - digits.count) + digits
    }
}

/// The jobs of one id prefix (a campaign): slot numbers + 1 by sequence number, 0 for none.
struct JobGroup {
    let name: String
    let nameBytes: [UInt8]
    var numbered: [UInt32] = []
    var skips: [UInt32] = []

    init(name: String) {
        self.name = name
        nameBytes = Array(name.utf8)
    }

    func slot(_ n: Int, skip: Bool) -> Int? {
        let list = skip ? skips : numbered
        guard n < list.count, list[n] != 0 else { return nil }
        return Int(list[n] - 1)
    }

    mutating func set(_ n: Int, skip: Bool, slot: Int) {
        if skip {
            if n >= skips.count { skips += [UInt32](repeating: 0, count: n + 1 - skips.count) }
            skips[n] = UInt32(slot + 1)
        } else {
            if n >= numbered.count { numbered += [UInt32](repeating: 0, count: max(n + 1 - numbered.count, numbered.count / 2)) }
            numbered[n] = UInt32(slot + 1)
        }
    }
}

/// Texts that repeat across messages (campaign ids, error titles, pricing categories), stored once;
/// index 0 means none. The last lookup is remembered: consecutive lines mostly carry the same values.
struct InternTable: Sendable {
    private(set) var values: [String] = []
    /// The two parts of each pair entry, split once here rather than on every read.
    private var pairs: [(String?, String?)] = []
    private var index: [String: UInt32] = [:]
    private var lastBytes: [UInt8] = []
    private var lastIndex: UInt32 = 0

    func index(of value: String) -> UInt32? { index[value] }
    func value(_ i: UInt32) -> String { values[Int(i - 1)] }
    func pair(_ i: UInt32) -> (String?, String?) { pairs[Int(i - 1)] }

    mutating func intern(_ value: String, pair: (String?, String?) = (nil, nil)) -> UInt32 {
        if let known = index[value] { return known }
        values.append(value)
        pairs.append(pair)
        index[value] = UInt32(values.count)
        return UInt32(values.count)
    }

    mutating func intern(_ text: EventFields.Text, in line: UnsafeRawBufferPointer) -> UInt32 {
        let bytes = UnsafeRawBufferPointer(rebasing: line[text.start..<text.end])
        if lastIndex != 0, !text.escaped, lastBytes.count == bytes.count,
           lastBytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) { return lastIndex }
        let i = intern(EventFields.string(text, in: line))
        if !text.escaped { lastBytes = Array(bytes); lastIndex = i }
        return i
    }

    /// Two optional texts as one entry (an error's title and details, a price's category and type).
    mutating func intern(pair first: EventFields.Text?, _ second: EventFields.Text?, in line: UnsafeRawBufferPointer) -> UInt32 {
        // The key: each part as its raw bytes (or a marker for none), joined by a byte no text holds.
        // Compared with the last key in place first: most lines repeat the previous line's pair.
        func matches(_ part: EventFields.Text?, at pos: inout Int) -> Bool {
            guard pos < lastBytes.count else { return false }
            guard let t = part else { defer { pos += 2 }; return lastBytes[pos] == 0 && pos + 1 < lastBytes.count && lastBytes[pos + 1] == 0xFF }
            let n = t.end - t.start
            guard lastBytes[pos] == (t.escaped ? 2 : 1), pos + 1 + n < lastBytes.count, lastBytes[pos + 1 + n] == 0xFF,
                  lastBytes.withUnsafeBytes({ memcmp($0.baseAddress! + pos + 1, line.baseAddress! + t.start, n) == 0 }) else { return false }
            pos += n + 2
            return true
        }
        var pos = 0
        if lastIndex != 0, matches(first, at: &pos), matches(second, at: &pos), pos == lastBytes.count { return lastIndex }
        var key: [UInt8] = []
        for part in [first, second] {
            if let t = part { key += [t.escaped ? 2 : 1] + line[t.start..<t.end] } else { key.append(0) }
            key.append(0xFF)
        }
        let a = first.map { EventFields.string($0, in: line) }, b = second.map { EventFields.string($0, in: line) }
        let i = intern(String(decoding: key.map { $0 == 0xFF ? 0x1F : $0 }, as: UTF8.self), pair: (a, b))
        lastBytes = key
        lastIndex = i
        return i
    }
}
