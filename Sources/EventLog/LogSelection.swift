import CLineScan
import Foundation

/// The day files a fold reads, and of each the lines it needs, chosen through the days' indexes: a report
/// for last week over a year of logs reads last week's days and, of the days after them, only the lines of
/// last week's campaigns (late statuses), not the year.
public struct LogSelection: Sendable {
    public struct Day: Sendable {
        public var file: URL
        /// nil: every line.
        public var filter: LineFilter?
    }

    /// Lines of some campaigns (and, when asked, statuses that name no job or campaign, which join a message
    /// through its `sent` line), told by the bytes of their `job` or `campaign` value before anything is
    /// parsed; or only the dispatcher's `sent` lines.
    public struct LineFilter: Sendable {
        var campaigns: [[UInt8]]
        var unjoinedStatuses: Bool
        var sendsOnly = false

        init(campaigns: Set<String>, unjoinedStatuses: Bool) {
            self.campaigns = campaigns.sorted().map { Array($0.utf8) }
            self.unjoinedStatuses = unjoinedStatuses
        }

        /// The dispatcher's lines telling a message was sent: who got what, and Meta's id, for the replies a
        /// report ties to the message they answered.
        static let sends: LineFilter = {
            var f = LineFilter(campaigns: [], unjoinedStatuses: false)
            f.sendsOnly = true
            return f
        }()

        static let statusKind = Array(#""kind":"status""#.utf8)
        static let sentStatus = Array(#""status":"sent""#.utf8)
        static let dispatchSource = Array(#""source":"dispatch""#.utf8)
        static let jobKey = Array(#""job":""#.utf8)
        static let campaignKey = Array(#""campaign":""#.utf8)

        func keeps(_ line: UnsafeRawBufferPointer) -> Bool {
            if sendsOnly { return Self.find(line, Self.sentStatus) != nil && Self.find(line, Self.dispatchSource) != nil }
            if let job = Self.value(of: Self.jobKey, in: line) {
                // `<campaign>.<seq>`: the campaign is all before the last dot.
                guard let dot = job.lastIndex(of: UInt8(ascii: ".")) else { return false }
                return names(UnsafeRawBufferPointer(rebasing: job[..<dot]))
            }
            if let campaign = Self.value(of: Self.campaignKey, in: line) { return names(UnsafeRawBufferPointer(rebasing: campaign)) }
            return unjoinedStatuses && Self.find(line, Self.statusKind) != nil
        }

        private func names(_ campaign: UnsafeRawBufferPointer) -> Bool {
            campaigns.contains { c in
                c.count == campaign.count && c.withUnsafeBytes { memcmp($0.baseAddress!, campaign.baseAddress!, c.count) == 0 }
            }
        }

        static func find(_ line: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Int? {
            let at = needle.withUnsafeBytes { n in wabulk_find(line.baseAddress!, line.count, n.baseAddress!, n.count) }
            return at < 0 ? nil : at
        }

        /// A string value as written (ids are written unescaped), up to its closing quote.
        static func value(of key: [UInt8], in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence? {
            guard let at = find(line, key) else { return nil }
            let start = at + key.count
            guard let end = line[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return line[start..<end]
        }
    }

    public var days: [Day]
    /// The campaigns whose messages the selection holds whole (nil: every campaign of the log).
    public var campaigns: Set<String>?

    init(days: [Day], campaigns: Set<String>? = nil) {
        self.days = days
        self.campaigns = campaigns
    }

    /// Every day, every line.
    public static func all(in directory: URL) -> LogSelection {
        LogSelection(days: EventLogReader(directory: directory).files().map { Day(file: $0, filter: nil) })
    }

    /// For a report of `campaign`'s messages (nil: all) first seen in [from, to) (nil: unbounded): the days
    /// whose lines were written in the period (and, for a campaign, name it), then each later day that names
    /// one of their campaigns or holds statuses naming no job, for those lines only. A period's report also
    /// reads the sends of the day before it, so a reply in the period to a message of the evening before is
    /// tied to its campaign (replies are tied to messages the report reads).
    public static func forReport(in directory: URL, campaign: String?, from: Date?, to: Date?) -> LogSelection {
        guard campaign != nil || from != nil || to != nil else { return all(in: directory) }
        let lower = from.map { Int($0.timeIntervalSince1970) }
        let upper = to.map { Int($0.timeIntervalSince1970) }
        let files = EventLogReader(directory: directory).files()
        let indexes = files.map(LogDayIndex.load)
        let seeds = indexes.map { i -> Bool in
            guard let first = i.first, let last = i.last else { return false }
            return (lower.map { last >= $0 } ?? true) && (upper.map { first < $0 } ?? true) && (campaign.map(i.campaigns.contains) ?? true)
        }
        var campaigns = Set<String>()
        if let campaign {
            campaigns = [campaign]
        } else {
            for (i, seed) in seeds.enumerated() where seed { campaigns.formUnion(indexes[i].campaigns) }
        }
        guard let start = seeds.firstIndex(of: true) else { return LogSelection(days: [], campaigns: []) }
        let filter = LineFilter(campaigns: campaigns, unjoinedStatuses: true)
        var days: [Day] = []
        if from != nil, start > 0 { days.append(Day(file: files[start - 1], filter: .sends)) }
        for i in start..<files.count {
            if seeds[i] {
                days.append(Day(file: files[i], filter: nil))
            } else if indexes[i].unjoined > 0 || !campaigns.isDisjoint(with: indexes[i].campaigns) {
                days.append(Day(file: files[i], filter: filter))
            }
        }
        return LogSelection(days: days, campaigns: campaigns)
    }

    /// For the status: every day written since `since`, and of earlier days the lines of the campaigns
    /// those days name or `also` lists (campaigns still sending or waiting), so a campaign's counts are whole
    /// however long ago it started, and nothing older is read.
    public static func recent(in directory: URL, since: Date, also: Set<String> = []) -> LogSelection {
        let bound = Int(since.timeIntervalSince1970)
        let files = EventLogReader(directory: directory).files()
        let indexes = files.map(LogDayIndex.load)
        let seeds = indexes.map { ($0.last ?? 0) >= bound }
        var campaigns = also
        for (i, seed) in seeds.enumerated() where seed { campaigns.formUnion(indexes[i].campaigns) }
        let filter = LineFilter(campaigns: campaigns, unjoinedStatuses: false)
        var days: [Day] = []
        for i in files.indices {
            if seeds[i] {
                days.append(Day(file: files[i], filter: nil))
            } else if !campaigns.isDisjoint(with: indexes[i].campaigns) {
                days.append(Day(file: files[i], filter: filter))
            }
        }
        return LogSelection(days: days, campaigns: campaigns)
    }
}
