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
    /// through its `sent` line), found by their bytes before anything is parsed.
    public struct LineFilter: Sendable {
        var markers: [[UInt8]]
        var unjoinedStatuses: Bool

        init(campaigns: Set<String>, unjoinedStatuses: Bool) {
            markers = campaigns.sorted().flatMap { [Array(#""job":"\#($0)."#.utf8), Array(#""campaign":"\#($0)""#.utf8)] }
            self.unjoinedStatuses = unjoinedStatuses
        }

        /// Lines telling a message was sent: who got what, and Meta's id, for the replies a report ties to
        /// the message they answered.
        static let sends = LineFilter(markers: [Array(#""status":"sent""#.utf8)], unjoinedStatuses: false)

        init(markers: [[UInt8]], unjoinedStatuses: Bool) {
            self.markers = markers
            self.unjoinedStatuses = unjoinedStatuses
        }

        static let statusKind = Array(#""kind":"status""#.utf8)
        static let jobKey = Array(#""job":""#.utf8)
        static let campaignKey = Array(#""campaign":""#.utf8)

        func keeps(_ line: UnsafeRawBufferPointer) -> Bool {
            if markers.contains(where: { Self.contains(line, $0) }) { return true }
            return unjoinedStatuses && Self.contains(line, Self.statusKind) && !Self.contains(line, Self.jobKey)
                && !Self.contains(line, Self.campaignKey)
        }

        static func contains(_ line: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
            needle.withUnsafeBytes { n in wabulk_contains(line.baseAddress!, line.count, n.baseAddress!, n.count) != 0 }
        }
    }

    public var days: [Day]

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
        guard let start = seeds.firstIndex(of: true) else { return LogSelection(days: []) }
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
        return LogSelection(days: days)
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
        return LogSelection(days: days)
    }
}
