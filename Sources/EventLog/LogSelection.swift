import CLineScan
import Foundation
import WabulkBase

/// The day files a fold reads, and of each the lines it needs, chosen through the days' indexes: a report
/// for last week over a year of logs reads last week's days and, of the days after them, only the lines of
/// last week's campaigns (late statuses), not the year.
public struct LogSelection: Sendable {
    public struct Day: Sendable {
        public var file: URL
        /// nil: every line.
        public var filter: LineFilter?
        /// The day's snapshot, when a report reads the day and it has one: what a fold that does not watch
        /// single events reads instead.
        public var snapshot: URL?

        init(file: URL, filter: LineFilter?, snapshot: URL? = nil) {
            self.file = file
            self.filter = filter
            self.snapshot = snapshot
        }

        /// A day file as a report reads it: through its snapshot when it has one.
        static func reported(_ file: URL, filter: LineFilter?) -> Day {
            Day(file: file, filter: filter, snapshot: DaySnapshot.existing(for: file))
        }
    }

    /// Lines of some campaigns (and, when asked, statuses that name no job or campaign, which join a message
    /// through its `sent` line), told by the bytes of their `job` or `campaign` value before anything is
    /// parsed; or only the dispatcher's `sent` lines.
    public struct LineFilter: Sendable {
        var campaigns: [[UInt8]]
        var unjoinedStatuses: Bool
        var sendsOnly = false
        /// Only lines naming one of these jobs or Meta ids (nil: any).
        var joins: Joins?

        /// Messages other lines name: by job (a late status) or by Meta's id (an unjoined status, a reply).
        struct Joins: Sendable {
            var jobs: Set<[UInt8]> = []
            var wamids: Set<[UInt8]> = []

            var isEmpty: Bool { jobs.isEmpty && wamids.isEmpty }

            /// Adds what `line` names.
            mutating func add(_ line: UnsafeRawBufferPointer) {
                if let job = value(of: jobKey, in: line) { jobs.insert(Array(job)) }
                for key in [wamidKey, replyToKey] {
                    if let wamid = value(of: key, in: line) { wamids.insert(Array(wamid)) }
                }
            }

            func names(_ line: UnsafeRawBufferPointer) -> Bool {
                if let job = value(of: jobKey, in: line), jobs.contains(Array(job)) { return true }
                if let wamid = value(of: wamidKey, in: line), wamids.contains(Array(wamid)) { return true }
                return false
            }
        }

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
        static let wamidKey = Array(#""wamid":""#.utf8)
        static let replyToKey = Array(#""replyTo":""#.utf8)
        static let inboundKind = Array(#""kind":"inbound""#.utf8)

        func keeps(_ line: UnsafeRawBufferPointer) -> Bool {
            if let joins, !joins.names(line) { return false }
            if sendsOnly { return Self.find(line, Self.sentStatus) != nil && Self.find(line, Self.dispatchSource) != nil }
            if let campaign = Self.campaignBytes(in: line) { return names(UnsafeRawBufferPointer(rebasing: campaign)) }
            if Self.value(of: Self.jobKey, in: line) != nil { return false }
            return unjoinedStatuses && Self.find(line, Self.statusKind) != nil
        }

        /// The campaign a line names: its job id's prefix (`<campaign>.<seq>`: all before the last dot), else
        /// its `campaign` value; nil for a line with neither, or a job id without a dot.
        static func campaignBytes(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence? {
            if let job = value(of: jobKey, in: line) {
                guard let dot = job.lastIndex(of: UInt8(ascii: ".")) else { return nil }
                return job[..<dot]
            }
            return value(of: campaignKey, in: line)
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

    /// The plain bytes of the files it reads (a report's progress: how much is left).
    public var bytes: UInt64 { days.reduce(0) { $0 + LogSource.size(of: $1.snapshot ?? $1.file) } }
    /// The campaigns whose messages the selection holds whole (nil: every campaign of the log).
    public var campaigns: Set<String>?

    init(days: [Day], campaigns: Set<String>? = nil) {
        self.days = days
        self.campaigns = campaigns
    }

    /// Every day, every line.
    public static func all(in directory: URL) -> LogSelection {
        LogSelection(days: EventLogReader(directory: directory).files().map { Day.reported($0, filter: nil) })
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
        var files = EventLogReader(directory: directory).files()
        // A line goes to the day file its batch's first event names or a later one, never an earlier one:
        // no line of the period is in a day file named more than a day before it (a batch written across
        // midnight), so older days' indexes are not even read — over a year of logs, most of them.
        if let from {
            let floor = "events-" + Timestamp.day(from.addingTimeInterval(-86_400))
            let lowest = files.firstIndex { $0.lastPathComponent >= floor } ?? files.count
            files.removeFirst(max(0, lowest - 1))
        }
        let indexes = LogDayIndex.loadAll(files)
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
        // Of a day the extracts stand for, the extract: the same lines, in the same order.
        var days: [Day] = []
        var read: [Int] = []
        for i in start..<files.count {
            if seeds[i] {
                days.append(Day.reported(files[i], filter: nil))
                read.append(i)
            } else if indexes[i].unjoined > 0 || !campaigns.isDisjoint(with: indexes[i].campaigns) {
                let carried = campaigns.isDisjoint(with: indexes[i].planned) && indexes[i].hasExtract(.carried, of: files[i])
                days.append(
                    carried ? Day(file: LogDayIndex.extractFile(.carried, for: files[i]), filter: filter) : Day.reported(files[i], filter: filter)
                )
                read.append(i)
            }
        }
        if from != nil, start > 0, let before = sendsBefore(files[start - 1], indexes[start - 1], read: read.map { (files[$0], indexes[$0]) }) {
            days.insert(before, at: 0)
        }
        return LogSelection(days: days, campaigns: campaigns)
    }

    /// Of the day before a period, the sends of the messages the period's days name: their late statuses,
    /// the statuses naming them by Meta's id alone, the replies to them. Those lines of a day are in its
    /// carried extract, unless the day plans one of the day before's campaigns (planning that ran past
    /// midnight), whose lines then stay in the day: all its sends are read then, as when an extract is gone.
    static func sendsBefore(_ file: URL, _ index: LogDayIndex, read: [(URL, LogDayIndex)]) -> Day? {
        let extract = LogDayIndex.extractFile(.sends, for: file)
        let whole = index.hasExtract(.sends, of: file) ? Day(file: extract, filter: nil) : Day.reported(file, filter: .sends)
        guard whole.filter == nil,
            read.allSatisfy({ day, dayIndex in
                Set(index.campaigns).isDisjoint(with: dayIndex.planned) && dayIndex.hasExtract(.carried, of: day)
            })
        else { return whole }
        var joins = LineFilter.Joins()
        for (day, _) in read {
            EventLogScanner.scan(LogDayIndex.extractFile(.carried, for: day)) { line, _ in joins.add(line) }
        }
        guard !joins.isEmpty else { return nil }
        var filter = LineFilter.sends
        filter.joins = joins
        return Day(file: extract, filter: filter)
    }

    /// For the status: every day written since `since`, and of earlier days the lines of the campaigns
    /// those days name or `also` lists (campaigns still sending or waiting), so a campaign's counts are whole
    /// however long ago it started, and nothing older is read.
    public static func recent(in directory: URL, since: Date, also: Set<String> = []) -> LogSelection {
        let bound = Int(since.timeIntervalSince1970)
        let files = EventLogReader(directory: directory).files()
        let indexes = LogDayIndex.loadAll(files)
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
