import CLineScan
import Foundation
import WabulkBase

/// `wabulk logs`: the events of the log that answer one question ("which messages of the Diwali campaign
/// failed?", "what happened to this number?"), read straight from the day files. A line is first checked for
/// the bytes any match must hold (memmem, no parsing), then parsed only if they are there: most lines of a
/// big log are never parsed.
public struct LogQuery: Sendable {
    public var campaign: String?
    public var statuses: Set<MessageStatus>?
    /// E.164, as the log writes numbers.
    public var phone: String?
    public var since: Date?
    public var until: Date?
    public var code: Int?
    /// Customers' replies instead of message statuses.
    public var inbound = false

    public init() {}

    /// Where a scan stopped in each day file, for `--follow` to go on from.
    public typealias Offsets = [String: UInt64]

    /// Which kinds of event answer: replies for `--inbound`; a person's whole story (statuses, opt-outs and
    /// opt-ins, replies) for `--phone`; otherwise the messages' statuses.
    var kinds: Set<MessageEvent.Kind> {
        if inbound { return [.inbound] }
        if phone != nil { return [.status, .optOut, .optIn, .inbound] }
        return [.status]
    }

    /// Calls `emit` with each matching line (as written) and its event, in log order, from `offsets` on.
    /// A status naming its message only by Meta's id (no job) is tied to its campaign by the `sent` line
    /// carrying that id: those few are kept aside and, after a second look for the campaign's ids, emitted at
    /// the end. Returns where each file ended.
    @discardableResult
    public func scan(directory: URL, from offsets: Offsets = [:], emit: (UnsafeRawBufferPointer, MessageEvent) -> Void) -> Offsets {
        var ended = offsets
        let kinds = self.kinds
        // Bytes a matching line must hold (compact JSON in any key order); the parsed event decides.
        let kindBytes = kinds.map { Array(#""kind":"\#($0.rawValue)""#.utf8) }
        let statusBytes = statuses.map { $0.map { Array(#""status":"\#($0.rawValue)""#.utf8) } }
        let phoneBytes = phone.map { Array(#""phone":"\#($0)""#.utf8) }
        let codeBytes = code.map { Array(#""errorCode":\#($0)"#.utf8) }
        let campaignBytes = campaign.map { Array($0.utf8) }
        let sinceText = since.map { Array(Timestamp.format($0).utf8) }
        let untilText = until.map { Array(Timestamp.format($0).utf8) }
        var unjoined: [([UInt8], MessageEvent)] = []
        let files = EventLogReader(directory: directory).files().filter { file in
            // Day files hold their UTC day's events (one written just after midnight may sit in the day
            // before's file): a day of slack each side.
            let name = file.lastPathComponent
            if let since, name < "events-\(Timestamp.day(since.addingTimeInterval(-86_400))).jsonl" { return false }
            if let until, name > "events-\(Timestamp.day(until.addingTimeInterval(86_400))).jsonl" { return false }
            // A day that names neither the campaign nor a status without one cannot answer.
            if let campaign {
                let index = LogDayIndex.load(file)
                return index.unjoined > 0 || index.campaigns.contains(campaign)
            }
            return true
        }
        for file in files {
            let name = file.lastPathComponent
            ended[name] = EventLogScanner.scan(file, from: offsets[name] ?? 0) { line, _ in
                guard !line.starts(with: EventLogReader.webhookLinePrefix), kindBytes.contains(where: { Self.contains(line, $0) }) else { return }
                if let statusBytes, !statusBytes.contains(where: { Self.contains(line, $0) }) { return }
                if let phoneBytes, !Self.contains(line, phoneBytes) { return }
                if let codeBytes, !Self.contains(line, codeBytes) { return }
                if let campaignBytes, !Self.contains(line, campaignBytes), Self.contains(line, Self.jobKey) { return }
                guard let fields = EventFields.parse(line), let event = MessageEvent(fields: fields, in: line), kinds.contains(event.kind) else {
                    return
                }
                if let statuses, !(event.status.map(statuses.contains) ?? false) { return }
                if let phone, event.phone != phone { return }
                if let code, event.errorCode != code { return }
                if let sinceText, let t = fields.time, Self.compare(t, sinceText, in: line) < 0 { return }
                if let untilText, let t = fields.time, Self.compare(t, untilText, in: line) >= 0 { return }
                if let campaign, !belongs(event, to: campaign) {
                    if event.job == nil, event.campaign == nil, event.wamid != nil { unjoined.append((Array(line), event)) }
                    return
                }
                emit(line, event)
            }
        }
        guard let campaignBytes, !unjoined.isEmpty else { return ended }
        var wamids: Set<String> = []
        for file in files {
            EventLogScanner.scan(file) { line, _ in
                guard Self.contains(line, Self.sentBytes), Self.contains(line, campaignBytes), let fields = EventFields.parse(line),
                    let event = MessageEvent(fields: fields, in: line), let wamid = event.wamid, belongs(event, to: campaign!)
                else { return }
                wamids.insert(wamid)
            }
        }
        for (line, event) in unjoined where event.wamid.map(wamids.contains) ?? false {
            line.withUnsafeBytes { emit($0, event) }
        }
        return ended
    }

    func belongs(_ event: MessageEvent, to campaign: String) -> Bool {
        if let c = event.campaign { return c == campaign }
        guard let job = event.job, let dot = job.lastIndex(of: ".") else { return false }
        return job[..<dot] == campaign
    }

    static let sentBytes = Array(#""status":"sent""#.utf8)
    static let jobKey = Array(#""job":""#.utf8)

    static func contains(_ line: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        needle.withUnsafeBytes { n in wabulk_contains(line.baseAddress!, line.count, n.baseAddress!, n.count) != 0 }
    }

    /// Compares a time value with a bound written the same way (both Timestamp.format: fixed width, UTC).
    static func compare(_ text: EventFields.Text, _ bound: [UInt8], in line: UnsafeRawBufferPointer) -> Int32 {
        let count = min(text.end - text.start, bound.count)
        let order = bound.withUnsafeBytes { memcmp(line.baseAddress! + text.start, $0.baseAddress!, count) }
        return order != 0 ? order : Int32(text.end - text.start - bound.count)
    }
}
