import Foundation
import Reports
import Testing
import WabulkBase

@testable import EventLog

#if canImport(Glibc)
import Glibc
#endif

/// Logs that age: days past Meta's redelivery horizon compressed (and read at the same offsets), reports
/// and the status reading only the days that can matter to them.
@Suite struct LogCompactionTests {
    static let start = Timestamp.parse("2026-10-01T00:00:00.000Z")!

    static func report(_ selection: LogSelection, _ scope: ReportScope, in dir: TempDir, name: String) async throws -> [String: [[String]]] {
        let path = dir.url.appendingPathComponent("\(name).xlsx")
        try CampaignReport(ledger: MessageLedger(selection: selection), scope: scope).write(to: path, generatedAt: start)
        return try await readXLSX(path.path)
    }

    @Test func aCompressedDayReadsByteForByteAtEveryOffset() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 3, perDay: 400, start: Self.start), to: log)
        // A line longer than a frame (a huge raw body), and a last line torn by a crash.
        let first = log.appendingPathComponent("events-2026-10-01.jsonl")
        let handle = try FileHandle(forWritingTo: first)
        try handle.seekToEnd()
        try handle.write(
            Data(
                #"{"kind":"webhook","raw":"\#(String(repeating: "x", count: 3 << 20))","source":"webhook","time":"2026-10-01T23:59:59.000Z"}"#.utf8
                    + [0x0A]
            )
        )
        try handle.write(Data(#"{"kind":"status","status":"se"#.utf8))
        try handle.close()
        let before = try LogHistory.contents(of: log)
        let plain = try Data(contentsOf: first)

        let outcome = try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 10))
        // Three days written, and a fourth for the third's late reads: the newest is never compressed.
        #expect(outcome.compressed == ["2026-10-01", "2026-10-02", "2026-10-03"])
        #expect(!FileManager.default.fileExists(atPath: first.path))
        let zst = LogSource.compressedPath(first)
        #expect(FileManager.default.fileExists(atPath: zst.path))
        #expect(FileManager.default.fileExists(atPath: log.appendingPathComponent("events-2026-10-04.jsonl").path))
        #expect(outcome.compressedBytes * 5 < outcome.plainBytes)
        #expect(try LogHistory.contents(of: log) == before)

        // Random reads across frame boundaries, as a report's line window makes them.
        let source = try #require(LogSource(first))
        #expect(source.isCompressed)
        #expect(source.size == UInt64(plain.count))
        var generator = SystemRandomNumberGenerator()
        for i in 0..<300 {
            let offset = Int.random(in: 0..<plain.count, using: &generator)
            let count = Int.random(in: 1...(i % 10 == 0 ? 3 << 20 : 64 << 10), using: &generator)
            var got = [UInt8](repeating: 0, count: count)
            let n = got.withUnsafeMutableBytes { source.read(into: $0.baseAddress!, count: count, at: UInt64(offset)) }
            #expect(n == min(count, plain.count - offset))
            let same = got.withUnsafeBytes { g in plain.withUnsafeBytes { p in memcmp(g.baseAddress!, p.baseAddress! + offset, n) == 0 } }
            #expect(same, "\(n) bytes at \(offset)")
        }
        var end = [UInt8](repeating: 0, count: 1)
        #expect(end.withUnsafeMutableBytes { source.read(into: $0.baseAddress!, count: 1, at: UInt64(plain.count)) } == 0)
        // zstd's own tool reads the file as one stream.
        let unpacked = try await runProcess("/usr/bin/zstd", ["-dc", zst.path])
        #expect(unpacked.status == 0)
        #expect(unpacked.stdout == String(decoding: plain, as: UTF8.self))
        // The scanner hands out the same complete lines (the torn one left out).
        var lines = 0
        EventLogScanner.scan(first) { _, _ in lines += 1 }
        #expect(lines == plain.split(separator: 0x0A).count - 1)
    }

    /// What a compaction killed between its steps leaves: a half-written `.zst.tmp`, or both forms of a day.
    @Test func whatAStoppedCompactionLeftIsReadRightAndTidied() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 3, perDay: 100, start: Self.start), to: log)
        let before = try LogHistory.contents(of: log)
        let day0 = log.appendingPathComponent("events-2026-10-01.jsonl")
        let day1 = log.appendingPathComponent("events-2026-10-02.jsonl")
        let plain0 = try Data(contentsOf: day0)
        try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 10))
        // Day 0 in both forms (stopped before the plain file was removed); day 1 plain with a torn temp file.
        try plain0.write(to: day0)
        let zst1 = LogSource.compressedPath(day1)
        let compressed1 = try Data(contentsOf: zst1)
        try FileManager.default.removeItem(at: zst1)
        try before["events-2026-10-02.jsonl"].map { Data($0) }!.write(to: day1)
        try compressed1.prefix(compressed1.count / 2).write(to: URL(fileURLWithPath: zst1.path + ".tmp"))
        #expect(try LogHistory.contents(of: log) == before)
        #expect(LogSource(day0)?.isCompressed == false)

        let outcome = try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 10))
        #expect(outcome.leftoversRemoved == 1)
        #expect(outcome.compressed == ["2026-10-02"])
        #expect(try LogHistory.contents(of: log) == before)
        let names = try FileManager.default.contentsOfDirectory(atPath: log.path).filter { $0.hasPrefix("events-") }.sorted()
        #expect(names == ["events-2026-10-01.jsonl.zst", "events-2026-10-02.jsonl.zst", "events-2026-10-03.jsonl.zst", "events-2026-10-04.jsonl"])
    }

    @Test func reportsFromCompressedDaysAreTheSameAsFromPlainOnes() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 6, perDay: 300, start: Self.start), to: log)
        let scopes: [(String, ReportScope)] = [
            ("all", ReportScope()),
            ("long", ReportScope(campaign: "long")),
            ("day2", ReportScope(from: LogHistory.dayStart(Self.start, 2), to: LogHistory.dayStart(Self.start, 3))),
            ("week", ReportScope(from: LogHistory.dayStart(Self.start, 0), to: LogHistory.dayStart(Self.start, 4))),
        ]
        var plain: [String: [String: [[String]]]] = [:]
        for (name, scope) in scopes {
            plain[name] = try await Self.report(
                .forReport(in: log, campaign: scope.campaign, from: scope.from, to: scope.to),
                scope,
                in: dir,
                name: "plain-\(name)"
            )
        }
        let outcome = try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 20))
        #expect(outcome.compressed.count == 6)
        // Their indexes in one summary, the same as each day's own.
        let files = EventLogReader(directory: log).files()
        let compressedDays = try JSONDecoder().decode([String: LogDayIndex].self, from: Data(contentsOf: LogDayIndex.summaryFile(in: log)))
        #expect(compressedDays.keys.sorted() == outcome.compressed.map { "events-\($0).jsonl" })
        #expect(LogDayIndex.loadAll(files) == files.map(LogDayIndex.load))
        // Their extracts with them: the sends of every compressed day are kept compressed only.
        for day in outcome.compressed {
            let sends = LogDayIndex.extractFile(.sends, for: log.appendingPathComponent("events-\(day).jsonl"))
            #expect(!FileManager.default.fileExists(atPath: sends.path) && FileManager.default.fileExists(atPath: sends.path + ".zst"), "\(day)")
        }
        // And their snapshots, which the reports below read in their place: every compressed day has one,
        // compressed, far smaller than the day (no bodies, no `sending` line before its `sent`, no Meta `sent`
        // after the dispatcher's), and holding every line it keeps in the day's order.
        #expect(outcome.snapshots == outcome.compressed)
        var dayBytes: UInt64 = 0
        var snapshotBytes: UInt64 = 0
        for day in outcome.compressed {
            let file = log.appendingPathComponent("events-\(day).jsonl")
            let snapshot = DaySnapshot.file(for: file)
            #expect(
                !FileManager.default.fileExists(atPath: snapshot.path) && FileManager.default.fileExists(atPath: snapshot.path + ".zst"),
                "\(day)"
            )
            var dayLines: [[UInt8]] = []
            EventLogScanner.scan(file) { line, _ in dayLines.append(Array(line)) }
            var kept: [[UInt8]] = []
            EventLogScanner.scan(snapshot) { line, _ in kept.append(Array(line)) }
            var next = dayLines.makeIterator()
            #expect(
                kept.allSatisfy { line in
                    while let candidate = next.next() { if candidate == line { return true } }
                    return false
                }
            )
            #expect(!kept.contains { $0.starts(with: EventLogReader.webhookLinePrefix) })
            // A message planned and sent the same day keeps no `sending` line (the long campaign's sends of
            // later days have no line before them in their day, and keep theirs).
            #expect(
                !kept.contains {
                    String(decoding: $0, as: UTF8.self).contains(#""status":"sending","time""#)
                        && !String(decoding: $0, as: UTF8.self).contains(#""campaign":"long""#)
                }
            )
            #expect(kept.count < dayLines.count / 2, "\(kept.count) of \(dayLines.count)")
            dayBytes += LogSource.size(of: file)
            snapshotBytes += LogSource.size(of: snapshot)
        }
        #expect(snapshotBytes * 3 < dayBytes, "\(snapshotBytes) of \(dayBytes)")
        let whole = LogSelection.forReport(in: log, campaign: nil, from: nil, to: nil)
        #expect(whole.days.dropLast().allSatisfy { $0.snapshot != nil } && whole.days.last?.snapshot == nil)
        for (name, scope) in scopes {
            let compressed = try await Self.report(
                .forReport(in: log, campaign: scope.campaign, from: scope.from, to: scope.to),
                scope,
                in: dir,
                name: "zst-\(name)"
            )
            #expect(compressed == plain[name], "report \(name)")
        }
        // The numbers are real: 300 a day, one in 17 failed, the long campaign's 300 over three days.
        let summary = try #require(plain["all"]?["Campaigns"])
        #expect(summary.count == 1 + 7)
        let long = try #require(summary.first { $0.first == "long" })
        #expect(long.contains("300"))
    }

    @Test func aPeriodReportReadsOnlyTheDaysThatCanHoldItAndCountsTheSame() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 8, perDay: 200, start: Self.start), to: log)
        let day = { (n: Int) in LogHistory.dayStart(Self.start, n) }
        // Eight days written; day 7's late reads make a ninth file.
        let name = { (n: Int) in "events-\(Timestamp.day(day(n))).jsonl" }

        // Day 4: the sends of day 3 (for replies to them), its own file whole, day 5 for its late reads;
        // days 6 and 7 only for statuses naming a message by Meta's id alone (every day has some); not day 8
        // (day 7's late reads only), nothing else before it. Of the days read in part, their extracts: the
        // sends of day 3, the lines of campaigns planned earlier (and statuses naming no job) of days 5–7.
        let day4 = LogSelection.forReport(in: log, campaign: nil, from: day(4), to: day(5))
        #expect(
            day4.days.map(\.file.lastPathComponent) == [
                name(3) + ".sends.jsonl", name(4), name(5) + ".carried.jsonl", name(6) + ".carried.jsonl", name(7) + ".carried.jsonl",
            ]
        )
        #expect(day4.days.map { $0.filter == nil } == [false, true, false, false, false])
        // Of day 3's sends, only those of the messages days 4–7 name (late reads, replies): not all 200.
        var joined = 0
        EventLogScanner.scan(day4.days[0].file) { line, _ in if day4.days[0].filter!.keeps(line) { joined += 1 } }
        #expect(joined > 0 && joined < 200, "\(joined)")
        // Each extract is the day's lines its filter keeps, byte for byte.
        let index = log.appendingPathComponent("index")
        for n in 3...7 {
            let dayIndex = LogDayIndex.load(log.appendingPathComponent(name(n)))
            let earlier = Set(dayIndex.campaigns).subtracting(dayIndex.planned)
            #expect(dayIndex.planned == ["day\(n)"])
            for (extract, filter) in [
                ("sends", LogSelection.LineFilter.sends), ("carried", LogSelection.LineFilter(campaigns: earlier, unjoinedStatuses: true)),
            ] {
                let lines = try String(contentsOf: log.appendingPathComponent(name(n)), encoding: .utf8).split(separator: "\n").filter {
                    Array($0.utf8).withUnsafeBytes { filter.keeps($0) }
                }
                let extracted = try String(contentsOf: index.appendingPathComponent("\(name(n)).\(extract).jsonl"), encoding: .utf8)
                    .split(separator: "\n").filter { Array($0.utf8).withUnsafeBytes { filter.keeps($0) } }
                #expect(extracted == lines, "\(extract) of day \(n)")
                #expect(!lines.isEmpty || extract == "carried")
            }
        }
        // An extract gone (removed by hand) is made again from its day; one longer than its index says (lines
        // appended by a run that stopped before saving the index) is cut back.
        let removed = index.appendingPathComponent(name(6) + ".carried.jsonl")
        let before = try Data(contentsOf: removed)
        try FileManager.default.removeItem(at: removed)
        #expect(LogSelection.forReport(in: log, campaign: nil, from: day(4), to: day(5)).days[3].file == removed)
        #expect(try Data(contentsOf: removed) == before)
        let handle = try FileHandle(forWritingTo: removed)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"job\":\"day4.0001\",\"kind\":\"status\"}\n".utf8))
        try handle.close()
        _ = LogSelection.forReport(in: log, campaign: nil, from: day(4), to: day(5))
        #expect(try Data(contentsOf: removed) == before)
        // A campaign's report: the days that name it.
        let long = LogSelection.forReport(in: log, campaign: "long", from: nil, to: nil)
        #expect(long.days.filter { $0.filter == nil }.map(\.file.lastPathComponent) == [name(1), name(2), name(3)])

        for (label, scope) in [
            ("day4", ReportScope(from: day(4), to: day(5))),
            ("week", ReportScope(from: day(1), to: day(4))),
            ("long", ReportScope(campaign: "long")),
            ("day3-long", ReportScope(campaign: "long", from: day(1), to: day(2))),
        ] {
            let chosen = try await Self.report(
                .forReport(in: log, campaign: scope.campaign, from: scope.from, to: scope.to),
                scope,
                in: dir,
                name: "chosen-\(label)"
            )
            let everything = try await Self.report(.all(in: log), scope, in: dir, name: "all-\(label)")
            #expect(chosen == everything, "report \(label)")
        }
        // And the day's numbers are its own: 200 messages, 12 failed (one in 17), late reads counted.
        let counts = CampaignReport(ledger: MessageLedger(selection: day4), scope: ReportScope(from: day(4), to: day(5))).counts
        #expect(counts.total == 200)
        #expect(counts.failed == 12)
        #expect(counts.read == (0..<200).filter { $0 % 3 == 0 && $0 % 17 != 0 }.count)
    }

    /// A campaign planned across midnight keeps its lines of the second day in that day, not in its carried
    /// extract: a report of the second day then reads all the first day's sends, and counts the same.
    @Test func aCampaignPlannedPastMidnightHasTheDayBeforeReadWhole() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        let writer = EventLogWriter(directory: log)
        let t = { (s: String) in Timestamp.parse(s)! }
        func message(_ n: Int, queued: String, sent: String) -> [MessageEvent] {
            let job = "late.000000\(n)"
            let phone = "+91980000000\(n)"
            return [
                MessageEvent(time: t(queued), status: .queued, campaign: "late", job: job, phone: phone, source: "campaign"),
                MessageEvent(time: t(sent), status: .sent, campaign: "late", job: job, phone: phone, wamid: "wamid.late\(n)", source: "dispatch"),
            ]
        }
        try await writer.append(message(1, queued: "2026-10-01T23:59:57.000Z", sent: "2026-10-01T23:59:58.000Z"))
        try await writer.append(message(3, queued: "2026-10-01T23:59:58.000Z", sent: "2026-10-01T23:59:59.000Z"))
        try await writer.append(message(2, queued: "2026-10-02T00:00:01.000Z", sent: "2026-10-02T00:00:02.000Z"))
        try await writer.append([
            // Message 3's delivery names no reply: only the day's own lines tell the report it needs its send.
            MessageEvent(time: t("2026-10-02T00:01:00.000Z"), status: .delivered, job: "late.0000003", wamid: "wamid.late3", source: "webhook"),
            MessageEvent(
                kind: .inbound,
                time: t("2026-10-02T00:02:00.000Z"),
                phone: "+919800000001",
                wamid: "wamid.in1",
                reason: "Yes please",
                source: "webhook",
                replyTo: "wamid.late1"
            ),
        ])
        writer.close()
        let from = t("2026-10-02T00:00:00.000Z")
        let to = t("2026-10-03T00:00:00.000Z")
        let selection = LogSelection.forReport(in: log, campaign: nil, from: from, to: to)
        #expect(selection.days.map(\.file.lastPathComponent) == ["events-2026-10-01.jsonl.sends.jsonl", "events-2026-10-02.jsonl"])
        #expect(selection.days.map { $0.filter == nil } == [true, true])
        let scope = ReportScope(from: from, to: to)
        let chosen = try await Self.report(selection, scope, in: dir, name: "chosen")
        #expect(chosen == (try await Self.report(.all(in: log), scope, in: dir, name: "all")))
        #expect(chosen["Replies"]?.count == 2)
    }

    @Test func theStatusReadsItsWindowAndTheWholeOfCampaignsStillGoing() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 12, perDay: 100, start: Self.start), to: log)
        let now = LogHistory.dayStart(Self.start, 11).addingTimeInterval(20 * 3600)
        let selection = LogSelection.recent(in: log, since: now.addingTimeInterval(-3 * 86_400), also: ["long"])
        let names = selection.days.map(\.file.lastPathComponent)
        // Days 9–12 whole (12 holds day 11's late reads; day 8's late reads put day 8's campaign in the
        // window, so day 8 for its lines); the long campaign's days for its lines only; nothing else.
        #expect(selection.days.filter { $0.filter == nil }.count == 4)
        #expect(names.contains("events-2026-10-02.jsonl"))
        #expect(!names.contains("events-2026-10-05.jsonl"))
        var ledger = MessageLedger()
        ledger.catchUp(selection: selection)
        var byCampaign: [String: Int] = [:]
        ledger.forEach(texts: false) { byCampaign[$0.campaign ?? "", default: 0] += 1 }
        #expect(byCampaign == ["long": 100, "day8": 100, "day9": 100, "day10": 100, "day11": 100])
    }

    @Test func bodiesPastTheirRetentionAreBlankedInACompressedDay() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 3, perDay: 50, start: Self.start), to: log)
        try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 10))
        let before = try LogHistory.contents(of: log)
        let blanked = try RawBodyRetention(directory: log, days: 30).apply(now: LogHistory.dayStart(Self.start, 32))
        // Days 0 and 1 are past 30 days: all their bodies (two or three statuses a message).
        let day0 = try #require(before["events-2026-10-01.jsonl"])
        let day1 = try #require(before["events-2026-10-02.jsonl"])
        let expected = String(decoding: day0 + day1, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix(#"{"kind":"webhook""#) }.count
        #expect(expected > 100)
        #expect(blanked == expected)
        let after = try LogHistory.contents(of: log)
        let file = log.appendingPathComponent("events-2026-10-01.jsonl")
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let a = try #require(after["events-2026-10-01.jsonl"])
        #expect(a.count == day0.count)
        let old = String(decoding: day0, as: UTF8.self).split(separator: "\n")
        let new = String(decoding: a, as: UTF8.self).split(separator: "\n")
        #expect(old.count == new.count)
        for (o, n) in zip(old, new) {
            if o.hasPrefix(#"{"kind":"webhook""#) {
                #expect(!n.contains("wamid"))
                #expect(n.count == o.count)
            } else {
                #expect(o == n)
            }
        }
        #expect(after["events-2026-10-03.jsonl"] == before["events-2026-10-03.jsonl"])
    }

    /// A compressed day damaged on disk is named by `wabulk compact` (stderr, exit 1) and left out of
    /// reports, which still read every other day.
    @Test func aDamagedCompressedDayIsNamed() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        let log = home.appendingPathComponent("var/log")
        try await LogHistory.write(LogHistory.events(days: 3, perDay: 40, start: Self.start), to: log)
        try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 10))
        let zst = LogSource.compressedPath(log.appendingPathComponent("events-2026-10-02.jsonl"))
        var bytes = try Data(contentsOf: zst)
        bytes.replaceSubrange(0..<8, with: Data(repeating: 0x41, count: 8))
        try bytes.write(to: zst)
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = home.path
        let run = try await runProcess(wabulkBinary, ["compact", "--now", "2026-10-11T00:00:00.000Z"], environment: env)
        #expect(run.status == 1)
        #expect(run.stderr.contains("compressed day(s) that cannot be read (restore them from a backup): 2026-10-02"))
        var ledger = MessageLedger()
        ledger.catchUp(selection: .all(in: log))
        var counts: [String: Int] = [:]
        ledger.forEach(texts: false) { counts[$0.campaign ?? "", default: 0] += 1 }
        // Day 1's snapshot, written when it was compressed, still holds what a report needs of it.
        #expect(counts["day0"] == 40)
        #expect(counts["day2"] == 40)
        #expect(counts["day1"] == 40)
        // With the snapshot damaged too, day 1's own lines are lost; only its late reads, logged the next
        // day, remain.
        let snapshot = URL(fileURLWithPath: DaySnapshot.file(for: log.appendingPathComponent("events-2026-10-02.jsonl")).path + ".zst")
        var snapshotBytes = try Data(contentsOf: snapshot)
        snapshotBytes.replaceSubrange(0..<8, with: Data(repeating: 0x41, count: 8))
        try snapshotBytes.write(to: snapshot)
        var after = MessageLedger()
        after.catchUp(selection: .all(in: log))
        var left: [String: Int] = [:]
        after.forEach(texts: false) { left[$0.campaign ?? "", default: 0] += 1 }
        #expect(left["day0"] == 40)
        #expect((left["day1"] ?? 0) < 40)
    }

    /// `wabulk status` shows the window's campaigns; `campaign show` and `campaign list` still find older ones.
    @Test func anOldCampaignIsShownFromItsOwnDays() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        try await LogHistory.write(LogHistory.events(days: 3, perDay: 40, start: Self.start), to: home.appendingPathComponent("var/log"))
        try FileManager.default.createDirectory(at: home.appendingPathComponent("var/campaigns"), withIntermediateDirectories: true)
        for day in 0..<3 {
            let record =
                #"{"manifest": {"id": "day\#(day)", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}, "phase": "spooled", "createdAt": "2026-10-0\#(day + 1)T09:00:00.000Z", "sourceFile": "day\#(day).json", "queued": 40, "skipped": {}}"#
            try Data(record.utf8).write(to: home.appendingPathComponent("var/campaigns/day\(day).json"))
        }
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = home.path
        let status = try await runProcess(wabulkBinary, ["status", "--json"], environment: env)
        let campaigns = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["campaigns"] as? [[String: Any]]
        #expect(campaigns?.isEmpty == true)
        let show = try await runProcess(wabulkBinary, ["campaign", "show", "day1", "--json"], environment: env)
        #expect(show.status == 0, "\(show.stderr)")
        let line = (try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])?["campaign"] as? [String: Any]
        #expect((line?["counts"] as? [String: Any])?["total"] as? Int == 40)
        #expect(line?["state"] as? String == "completed")
        let list = try await runProcess(wabulkBinary, ["campaign", "list", "--json"], environment: env)
        let all = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(all?.map { $0["id"] as? String } == ["day0", "day1", "day2"])
    }

    /// A day left in both forms: blanking must not keep the bodies in the compressed form.
    @Test func bodiesAreBlankedInADayLeftInBothForms() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 3, perDay: 40, start: Self.start), to: log)
        let day0 = log.appendingPathComponent("events-2026-10-01.jsonl")
        let plain = try Data(contentsOf: day0)
        try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 10))
        try plain.write(to: day0)
        let blanked = try RawBodyRetention(directory: log, days: 30).apply(now: LogHistory.dayStart(Self.start, 31))
        #expect(blanked == String(decoding: plain, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix(#"{"kind":"webhook""#) }.count)
        #expect(!FileManager.default.fileExists(atPath: day0.path))
        let after = try #require(try LogHistory.contents(of: log)["events-2026-10-01.jsonl"])
        #expect(after.count == plain.count)
        #expect(!String(decoding: after, as: UTF8.self).contains("whatsapp_business_account"))
    }

    @Test func aFollowerAndLogQueriesGoOnThroughACompressedDay() async throws {
        let dir = TempDir()
        let log = dir.url.appendingPathComponent("log")
        try await LogHistory.write(LogHistory.events(days: 3, perDay: 60, start: Self.start), to: log)
        var query = LogQuery()
        query.campaign = "day0"
        query.statuses = [.failed]
        var plainLines: [[UInt8]] = []
        query.scan(directory: log) { line, _ in plainLines.append(Array(line)) }
        // A follower stopped part-way into day 0, after its 100th line.
        let day0 = try Data(contentsOf: log.appendingPathComponent("events-2026-10-01.jsonl"))
        let cut = day0.enumerated().filter { $0.element == 0x0A }.dropFirst(99).first!.offset + 1
        let place = EventLogTail.Position(file: "events-2026-10-01.jsonl", offset: UInt64(cut))
        var fromPlain = EventLogTail(directory: log, from: place)
        let expected = fromPlain.next().map(\.time)

        try LogCompactor(directory: log, days: 7).apply(now: LogHistory.dayStart(Self.start, 10))
        #expect(!FileManager.default.fileExists(atPath: log.appendingPathComponent("events-2026-10-01.jsonl").path))
        var compressedLines: [[UInt8]] = []
        query.scan(directory: log) { line, _ in compressedLines.append(Array(line)) }
        #expect(plainLines.count == 4)
        #expect(compressedLines == plainLines)
        var fromCompressed = EventLogTail(directory: log, from: place)
        #expect(fromCompressed.next().map(\.time) == expected)
        #expect(expected.count > 300)
        #expect(fromCompressed.position?.file == "events-2026-10-04.jsonl")
    }
}

/// `wabulk compact` killed with SIGKILL at random moments until one run finishes: after every kill each day
/// reads back exactly as it was written, whichever forms of it are on disk.
@Suite(.serialized) struct LogCompactionCrashTests {
    @Test func killedCompactionsLoseNothing() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        let log = home.appendingPathComponent("var/log")
        try await LogHistory.write(LogHistory.events(days: 14, perDay: 1_200, start: LogCompactionTests.start), to: log)
        let original = try LogHistory.contents(of: log)
        #expect(original.count == 15)
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = home.path
        // Bodies kept: only compression changes files here.
        env["WABULK_RAW_WEBHOOK_RETENTION_DAYS"] = "3650"
        let now = "2026-11-01T00:00:00.000Z"
        let pristine = dir.url.appendingPathComponent("pristine")
        try FileManager.default.copyItem(at: log, to: pristine)
        // On a thread of its own: waiting for a killed process blocks, which on the cooperative pool stalls
        // other tests (and theirs this one). Each run is killed at a moment seen in the folder, not after a
        // time (a loaded machine runs it at any speed): while a compressed day is being written, just after
        // one was put in place beside its plain day, or once a first day is done.
        let compactEnv = env
        let killed = try await onOwnThread { () -> Int in
            var kills = 0
            for round in 0..<20 {
                let p = WabulkProcess(env: compactEnv, log: dir.url.appendingPathComponent("compact-\(round).log"))
                try p.start(["compact", "--now", now])
                let deadline = Date().addingTimeInterval(60)
                while p.process?.isRunning == true, Date() < deadline {
                    let names = Set((try? FileManager.default.contentsOfDirectory(atPath: log.path)) ?? [])
                    let writing = names.contains { $0.hasSuffix(".zst.tmp") }
                    let both = names.contains { $0.hasSuffix(".zst") && names.contains(String($0.dropLast(4))) }
                    let oneDone = names.contains { $0.hasSuffix(".zst") }
                    // Every fourth run is killed while the days' snapshots are written (after the days).
                    let index = (try? FileManager.default.contentsOfDirectory(atPath: log.appendingPathComponent("index").path)) ?? []
                    let snapshotting = index.contains { $0.hasSuffix(".snapshot.jsonl.tmp") || $0.hasSuffix(".snapshot.jsonl") }
                    if round % 4 == 3 ? snapshotting : round % 3 == 0 ? writing : round % 3 == 1 ? both : oneDone { break }
                    usleep(500)
                }
                if p.process?.isRunning == true {
                    p.kill9()
                    kills += 1
                    if round % 4 == 3 { print("compaction: run \(round) killed while writing snapshots") }
                } else {
                    p.process?.waitUntilExit()
                    #expect(p.process?.terminationStatus == 0)
                }
                #expect(try LogHistory.contents(of: log) == original, "after round \(round)")
                // Runs resume what killed ones left; one that finished leaves nothing to do, so the days are
                // put back plain for the next.
                if p.process == nil { continue }
                try FileManager.default.removeItem(at: log)
                try FileManager.default.copyItem(at: pristine, to: log)
            }
            return kills
        }
        let kills = killed
        print("compaction: \(kills) of 20 runs killed part-way")
        #expect(kills >= 10, "kills that landed before the compaction finished: \(kills)")
        let last = try await runProcess(wabulkBinary, ["compact", "--now", now], environment: env)
        #expect(last.status == 0)
        #expect(try LogHistory.contents(of: log) == original)
        // Every day but the newest is compressed, and nothing else is left.
        let names = try FileManager.default.contentsOfDirectory(atPath: log.path).filter { $0.hasPrefix("events-") }.sorted()
        #expect(names.count == 15)
        #expect(names.filter { $0.hasSuffix(".jsonl.zst") }.count == 14)
        #expect(names.last == "events-2026-10-15.jsonl")
        // The days' extracts, written while days were indexed under the kills, hold each line once: every
        // compressed day's sends extract is its sent lines, in order.
        func lines(_ file: URL, _ keep: (UnsafeRawBufferPointer) -> Bool) -> [[UInt8]] {
            var kept: [[UInt8]] = []
            EventLogScanner.scan(file) { line, _ in if keep(line) { kept.append(Array(line)) } }
            return kept
        }
        for file in EventLogReader(directory: log).files().dropLast() {
            let sends = LogDayIndex.extractFile(.sends, for: file)
            #expect(FileManager.default.fileExists(atPath: sends.path + ".zst"))
            let expected = lines(file) { LogSelection.LineFilter.sends.keeps($0) }
            #expect(expected.count > 1_000 && lines(sends) { _ in true } == expected, "\(file.lastPathComponent)")
            // Its snapshot, whole and compressed: the day's lines less bodies and those the rules drop.
            let snapshot = DaySnapshot.file(for: file)
            #expect(FileManager.default.fileExists(atPath: snapshot.path + ".zst") && !FileManager.default.fileExists(atPath: snapshot.path))
            let dropped = DaySnapshot.droppable(in: file)
            var number = 0
            let wanted = lines(file) { line in
                defer { number += 1 }
                return !line.starts(with: EventLogReader.webhookLinePrefix) && !dropped.contains(number)
            }
            #expect(wanted.count > 2_000 && lines(snapshot) { _ in true } == wanted, "\(file.lastPathComponent)")
        }
        let index = try FileManager.default.contentsOfDirectory(atPath: log.appendingPathComponent("index").path)
        #expect(!index.contains { $0.hasSuffix(".tmp") }, "\(index.filter { $0.hasSuffix(".tmp") })")
    }
}

/// A day's snapshot folds to the same states as the day, whatever each message's state before the day: random
/// histories of a few messages over two days (statuses of every kind, from every source, times out of order
/// now and then), the second day folded whole and without the lines its snapshot drops.
@Suite struct DaySnapshotRuleTests {
    static func history(day: Int, jobs: Int, random: inout some RandomNumberGenerator) -> [MessageEvent] {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let start = Date(timeIntervalSince1970: 1_790_000_000 + Double(day) * 86_400)
        var events: [MessageEvent] = []
        for job in 0..<jobs {
            var at = start.addingTimeInterval(Double(job) * 60)
            // Runs of the usual order (planned, sending, sent, Meta's sent, delivered, read) with steps left
            // out, repeated, or replaced by anything else.
            let usual: [(MessageStatus, String)] = [
                (.queued, "campaign"), (.sending, "dispatch"), (.sent, "dispatch"), (.sent, "webhook"), (.delivered, "webhook"), (.read, "webhook"),
            ]
            let others: [(MessageStatus, String)] = [
                (.failed, "webhook"), (.failed, "dispatch"), (.deferred, "dispatch"), (.skipped, "opt-out"), (.queued, "retry"),
                (.sending, "dispatch"),
                (.sent, "webhook"), (.cancelled, "control"),
            ]
            var steps: [(MessageStatus, String)] = []
            if random.next() % 2 == 0 {
                for step in usual where random.next() % 5 != 0 { steps.append(random.next() % 6 == 0 ? pick(others) : step) }
                for _ in 0..<Int(random.next() % 3) { steps.insert(pick(others + usual), at: Int(random.next() % UInt64(steps.count + 1))) }
            } else {
                // Any order at all.
                for _ in 0..<(3 + Int(random.next() % 6)) { steps.append(pick(others + usual)) }
            }
            for (status, source) in steps {
                at = at.addingTimeInterval(random.next() % 7 == 0 ? -2 : Double(random.next() % 3))
                let webhook = source == "webhook"
                events.append(
                    MessageEvent(
                        time: at,
                        status: status,
                        campaign: webhook || random.next() % 8 == 0 ? nil : "c",
                        job: "c.\(job)",
                        phone: random.next() % 8 == 0 ? nil : "+91980000\(job)",
                        name: source == "campaign" ? "P\(job)" : nil,
                        wamid: status == .sent || webhook || random.next() % 6 == 0 ? "wamid.\(job)" : nil,
                        attempt: source == "dispatch" ? Int(random.next() % 3) + 1 : nil,
                        errorCode: status == .failed ? 131026 : nil,
                        metaTime: webhook && random.next() % 2 == 0 ? Int(at.timeIntervalSince1970) - Int(random.next() % 2) : nil,
                        pricingCategory: webhook && random.next() % 2 == 0 ? pick(["marketing", "utility"]) : nil,
                        pricingType: webhook ? "regular" : nil,
                        reason: status == .skipped ? "opted out" : nil,
                        source: source
                    )
                )
            }
        }
        return events
    }

    @Test func aSnapshotFoldsLikeItsDayAfterAnyHistory() async throws {
        // Off the cooperative pool (600 histories are seconds of a debug build's CPU, which would starve the
        // in-process servers of tests running alongside); each day is written as the writer writes it.
        let dir = TempDir()
        let (droppedAny, differing) = try await onOwnThread { () -> (Int, [String]) in
            var random = SystemRandomNumberGenerator()
            var droppedAny = 0
            var differing: [String] = []
            for trial in 0..<600 {
                let before = Self.history(day: 0, jobs: 4, random: &random)
                let day = Self.history(day: 1, jobs: 4, random: &random)
                let folder = dir.url.appendingPathComponent("\(trial)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let file = folder.appendingPathComponent("events-\(day[0].time.prefix(10)).jsonl")
                try Data(EventLogWriter.lines(day)).write(to: file)
                let dropped = DaySnapshot.droppable(in: file)
                droppedAny += dropped.count
                let kept = day.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
                for prior in [before, []] where MessageLedger(events: prior + day).records() != MessageLedger(events: prior + kept).records() {
                    differing.append("\(day.map { "\($0.job ?? "") \($0.status?.rawValue ?? "") \($0.source ?? "")" })")
                }
            }
            return (droppedAny, differing)
        }
        #expect(differing.isEmpty, "\(differing.prefix(2))")
        #expect(droppedAny > 100)
    }
}
