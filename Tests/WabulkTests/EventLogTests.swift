import Foundation
import Spool
import Testing
import WabulkBase

@testable import EventLog

@Suite struct MessageLedgerTests {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    func e(
        _ status: MessageStatus,
        job: String? = nil,
        wamid: String? = nil,
        at offset: Int,
        code: Int? = nil,
        campaign: String? = "c"
    ) -> MessageEvent {
        MessageEvent(
            time: t0.addingTimeInterval(TimeInterval(offset)),
            status: status,
            campaign: job == nil ? nil : campaign,
            job: job,
            phone: "+919876543210",
            wamid: wamid,
            attempt: job == nil ? nil : 1,
            errorCode: code,
            metaTime: job == nil ? Int(t0.timeIntervalSince1970) + offset : nil
        )
    }

    @Test func statusesNeverGoBackwardsAndDuplicatesChangeNothing() {
        let events = [
            e(.queued, job: "c.1", at: 0), e(.sending, job: "c.1", at: 1), e(.sent, job: "c.1", wamid: "w1", at: 2),
            e(.read, wamid: "w1", at: 10), e(.delivered, wamid: "w1", at: 8), e(.sent, wamid: "w1", at: 3), e(.read, wamid: "w1", at: 10),
        ]
        let ledger = MessageLedger(events: events)
        let r = ledger.messages["c.1"]!
        #expect(r.status == .read)
        #expect(r.times[.delivered] == MessageEvent(time: t0.addingTimeInterval(8)).time)
    }

    @Test func readWithoutDeliveredCountsAsDelivered() {
        let ledger = MessageLedger(events: [e(.queued, job: "c.1", at: 0), e(.sent, job: "c.1", wamid: "w1", at: 1), e(.read, wamid: "w1", at: 5)])
        let r = ledger.messages["c.1"]!
        #expect(r.status == .read)
        #expect(r.times[.delivered] == r.times[.read])
        let counts = CampaignCounts(ledger.records())
        #expect(counts.delivered == 1)
        #expect(counts.read == 1)
    }

    @Test func failedAfterSentIsRecordedWithItsErrorButNotAfterDelivered() {
        let ledger = MessageLedger(events: [
            e(.queued, job: "c.1", at: 0), e(.sent, job: "c.1", wamid: "w1", at: 1), e(.failed, wamid: "w1", at: 2, code: 131050),
            e(.queued, job: "c.2", at: 0), e(.sent, job: "c.2", wamid: "w2", at: 1), e(.delivered, wamid: "w2", at: 2),
            e(.failed, wamid: "w2", at: 3, code: 131026),
        ])
        #expect(ledger.messages["c.1"]!.status == .failed)
        #expect(ledger.messages["c.1"]!.errorCode == 131050)
        #expect(ledger.messages["c.2"]!.status == .delivered)
    }

    @Test func aDeferredMessageIsSentOnTheNextAttempt() {
        let ledger = MessageLedger(events: [
            e(.queued, job: "c.1", at: 0), e(.sending, job: "c.1", at: 1),
            e(.deferred, job: "c.1", at: 2, code: 131000), e(.sending, job: "c.1", at: 7),
            e(.sent, job: "c.1", wamid: "w", at: 8),
        ])
        #expect(ledger.messages["c.1"]!.status == .sent)
    }

    @Test func unknownMessageIdsAreKeptAsOrphans() {
        let ledger = MessageLedger(events: [e(.delivered, wamid: "nobody", at: 1)])
        #expect(ledger.messages.isEmpty)
        #expect(ledger.orphans.count == 1)
    }

    @Test func ratesFollowTheSeedSystem() {
        var events: [MessageEvent] = []
        for i in 1...10 {
            events.append(e(.queued, job: "c.\(i)", at: 0))
            if i <= 8 { events.append(e(.sent, job: "c.\(i)", wamid: "w\(i)", at: 1)) }
            if i <= 6 { events.append(e(.delivered, wamid: "w\(i)", at: 2)) }
            if i <= 3 { events.append(e(.read, wamid: "w\(i)", at: 3)) }
            if i > 8 { events.append(e(.failed, job: "c.\(i)", at: 1, code: 131026)) }
        }
        events.append(e(.skipped, job: "c.s1", at: 0))
        let c = CampaignCounts(MessageLedger(events: events).records(campaign: "c"))
        #expect(c.total == 10)
        #expect(c.sent == 8)
        #expect(c.delivered == 6)
        #expect(c.read == 3)
        #expect(c.failed == 2)
        #expect(c.skipped == 1)
        #expect(c.deliveryRate == 0.6)
        #expect(c.readRate == 0.5)
        #expect(c.failureRate == 0.2)
    }

    /// The hand-written timestamp is Foundation's ISO 8601 text, for random instants over two centuries.
    @Test func timestampsMatchFoundationsISO8601() {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true)
            .timeSeparator(.colon).timeZone(separator: .omitted)
        for _ in 0..<20_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: -2_000_000_000...5_000_000_000, using: &generator))
            #expect(Timestamp.format(date) == date.formatted(style), "\(date.timeIntervalSince1970)")
        }
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_750_030_073.999_9)) == "2025-06-15T23:27:53.999Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    /// The hand-written log line is byte for byte what JSONEncoder (sorted keys) writes.
    /// The 16-bytes-at-a-time escaper writes exactly what the byte-by-byte one does, at every length and
    /// wherever quotes, backslashes and control bytes fall in a block (and with non-ASCII text around them).
    @Test func theBlockEscaperMatchesTheByteEscaper() async throws {
        // Off the cooperative pool: 4,000 strings are a few seconds of a debug build's CPU, which would
        // starve the in-process servers of tests running alongside.
        let (checked, mismatches) = try await onOwnThread { () -> (Int, [String]) in
            var random = SystemRandomNumberGenerator()
            let alphabet: [String] = ["a", "Z", "0", "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{1}", "\u{1f}", "/", "é", "😀", " ", "\u{7f}"]
            var checked = 0
            var mismatches: [String] = []
            for length in 0..<200 {
                for _ in 0..<20 {
                    let text = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined()
                    var fast: [UInt8] = [7]
                    EventLine.quote(text, into: &fast)
                    var plain: [UInt8] = [7]
                    JSONEscape.quote(text, into: &plain)
                    if fast != plain { mismatches.append(text.debugDescription) }
                    checked += 1
                }
            }
            return (checked, mismatches)
        }
        #expect(checked == 4000)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        var body: [UInt8] = []
        EventLine.quote(String(decoding: Array(#"{"entry":[{"id":"1","changes":[]}]}"#.utf8), as: UTF8.self), into: &body)
        #expect(String(decoding: body, as: UTF8.self) == #""{\"entry\":[{\"id\":\"1\",\"changes\":[]}]}""#)
    }

    @Test func eventLinesMatchJSONEncoder() async throws {
        let full = MessageEvent(
            kind: .status,
            time: Date(timeIntervalSince1970: 1_750_000_000.5),
            status: .failed,
            campaign: "c/1",
            job: "c.1",
            phone: "+91",
            name: "Ann \"A\" \\ O'Neil\n\t\u{1}é😀",
            wamid: "wamid.X",
            attempt: 3,
            errorCode: 131026,
            errorTitle: "Message undeliverable",
            errorDetails: "<b>&</b>",
            metaTime: 1_750_000_000,
            pricingCategory: "marketing",
            pricingType: "regular",
            reason: "r\r\u{8}\u{c}",
            source: "webhook",
            raw: #"{"a":"\u00e9 / x"}"#,
            template: "t",
            language: "en_US"
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let dir = TempDir()
        let writer = EventLogWriter(directory: dir.url)
        let sparse = MessageEvent(kind: .inbound, time: Date(timeIntervalSince1970: 0))
        try await writer.append([full, sparse])
        writer.close()
        let file = try #require(EventLogReader(directory: dir.url).files().first)
        let expected = try encoder.encode(full) + Data([0x0A]) + encoder.encode(sparse) + Data([0x0A])
        #expect(try Data(contentsOf: file) == expected)
        #expect(EventLogReader(directory: dir.url).readAll().events.first?.name == "Ann \"A\" \\ O'Neil\n\t\u{1}é😀")
    }

    @Test func writerAppendsLinesAReaderFoldsBackAndATornLineIsSkipped() async throws {
        let dir = TempDir()
        let writer = EventLogWriter(directory: dir.url)
        try await writer.append([e(.queued, job: "c.1", at: 0), e(.sent, job: "c.1", wamid: "w", at: 1)])
        writer.close()
        let file = try #require(EventLogReader(directory: dir.url).files().first)
        let handle = try FileHandle(forWritingTo: file)
        handle.seekToEndOfFile()
        handle.write(Data(#"{"kind":"status","time":"2026"#.utf8))
        try handle.close()
        let result = EventLogReader(directory: dir.url).readAll()
        #expect(result.events.count == 2)
        #expect(result.unreadableLines == 1)
        #expect(file.lastPathComponent == "events-2026-09-21.jsonl")
    }

    /// The ledger read straight from the files gives what the same events give from memory: planner-shaped
    /// ids (dense index), skip ids, other ids, escaped names read back from their lines, a status naming only
    /// its message id, a line in another writer's spacing (the JSONDecoder fallback), and a torn last line (left out).
    @Test func aLedgerFoldedFromTheFilesMatchesTheSameEventsFoldedInMemory() async throws {
        let dir = TempDir()
        let writer = EventLogWriter(directory: dir.url)
        let name = "Zoë \"Z\" \\ 😀"
        let events = [
            MessageEvent(time: t0, status: .queued, campaign: "camp", job: "camp.0000002", phone: "+919800000002", name: name, source: "campaign"),
            MessageEvent(time: t0, status: .queued, campaign: "camp", job: "camp.0000001", phone: "+919800000001", name: "Ann", source: "campaign"),
            MessageEvent(
                time: t0,
                status: .skipped,
                campaign: "camp",
                job: "camp.skip-1",
                phone: "12345",
                name: "Bad",
                reason: "invalid number: too short",
                source: "campaign"
            ),
            MessageEvent(
                time: t0.addingTimeInterval(1),
                status: .sent,
                campaign: "camp",
                job: "camp.0000002",
                phone: "+919800000002",
                wamid: "wamid.TWO",
                attempt: 1,
                source: "dispatch"
            ),
            MessageEvent(
                time: t0.addingTimeInterval(2),
                status: .delivered,
                wamid: "wamid.TWO",
                metaTime: Int(t0.timeIntervalSince1970) + 2,
                pricingCategory: "marketing",
                pricingType: "regular",
                source: "webhook"
            ),
            MessageEvent(
                time: t0.addingTimeInterval(1),
                status: .failed,
                campaign: "camp",
                job: "camp.0000001",
                phone: "+919800000001",
                attempt: 2,
                errorCode: 131026,
                errorTitle: "Message undeliverable",
                errorDetails: "d",
                source: "dispatch"
            ),
            MessageEvent(time: t0, status: .queued, campaign: "other", job: "j-7", phone: "+15550001111", source: "campaign"),
        ]
        try await writer.append(events)
        writer.close()
        let file = try #require(EventLogReader(directory: dir.url).files().first)
        let handle = try FileHandle(forWritingTo: file)
        handle.seekToEndOfFile()
        // Another writer's spacing, then a line torn by a crash.
        handle.write(Data(#"{ "kind": "status", "status": "read", "job": "camp.0000002", "time": "2026-09-21T14:13:25Z" }"#.utf8 + [0x0A]))
        handle.write(Data(#"{"kind":"status","time":"2026"#.utf8))
        try handle.close()

        let fromFiles = MessageLedger(logDirectory: dir.url)
        var inMemory = events
        inMemory.append(MessageEvent(time: Timestamp.parse("2026-09-21T14:13:25Z")!, status: .read, job: "camp.0000002"))
        let fromMemory = MessageLedger(events: inMemory)
        #expect(fromFiles.records() == fromMemory.records())
        #expect(fromFiles.records().map(\.job) == ["camp.0000001", "camp.0000002", "camp.skip-1", "j-7"])
        let two = try #require(fromFiles.messages["camp.0000002"])
        #expect(two.name == name)
        #expect(two.status == .read)
        #expect(two.wamid == "wamid.TWO")
        #expect(two.pricingCategory == "marketing")
        #expect(two.times[.sent] == "2026-09-21T14:13:21.000Z")
        #expect(two.times[.delivered] == "2026-09-21T14:13:22.000Z")
        #expect(two.times[.read] == "2026-09-21T14:13:25.000Z")
        let one = try #require(fromFiles.messages["camp.0000001"])
        #expect(one.status == .failed)
        #expect(one.errorCode == 131026)
        #expect(one.errorTitle == "Message undeliverable")
        #expect(one.attempts == 2)
        #expect(fromFiles.messages["camp.skip-1"]?.reason == "invalid number: too short")
        #expect(fromFiles.messages["camp.skip-1"]?.phone == "12345")
        #expect(fromFiles.messages["j-7"]?.phone == "+15550001111")
        #expect(fromFiles.unreadableLines == 0)  // the torn last line has no newline yet: left for a later read
        #expect(fromFiles.orphans.isEmpty)
        #expect(fromFiles.campaigns == ["camp", "other"])
        // What a million messages cost: 40 MB of slots.
        #expect(MemoryLayout<MessageLedger.Slot>.stride == 40)
        // And what every line's fields cost to copy (they cross from the parsing thread to the folding one): 26
        // fields of 8 bytes.
        #expect(MemoryLayout<EventFields>.stride == 208)
    }
}

/// A torn last line (a kill in the middle of a write) is cut back before the next append, and kept aside.
@Suite struct TornTailTests {
    /// A line as the writer spells it, with its newline.
    func line(_ e: MessageEvent) -> [UInt8] {
        var out: [UInt8] = []
        EventLine.append(e, to: &out)
        return out + [0x0A]
    }

    @Test func aTornTailIsCutBackAndNewEventsAreNotGluedToIt() async throws {
        let dir = TempDir()
        let day = Date(timeIntervalSince1970: 1_790_000_000)
        let file = dir.url.appendingPathComponent("events-\(Timestamp.day(day)).jsonl")
        let whole = line(MessageEvent(time: day, status: .queued, campaign: "c", job: "c.0000001", phone: "+919876500001"))
        // A `sending` line cut off in the middle, longer than one 64 kB read back, as a big raw body would be.
        let torn = Array(#"{"attempt":1,"campaign":"c","job":"c.0000002","kind":"status","raw":""#.utf8) + [UInt8](repeating: 0x61, count: 70_000)
        try Data(whole + torn).write(to: file)
        let writer = EventLogWriter(directory: dir.url)
        let next = MessageEvent(time: day, status: .sending, campaign: "c", job: "c.0000003", phone: "+919876500003", attempt: 1)
        try await writer.append(next, durable: true)
        writer.close()
        let events = EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events
        #expect(events.map(\.job) == ["c.0000001", "c.0000003"])
        #expect(try Data(contentsOf: file) == Data(whole + line(next)))
        let kept = try Data(contentsOf: dir.url.appendingPathComponent("torn/\(file.lastPathComponent).\(whole.count).torn"))
        #expect(kept == Data(torn))
    }

    @Test func aWholeLogIsLeftAlone() async throws {
        let dir = TempDir()
        let day = Date(timeIntervalSince1970: 1_790_000_000)
        let writer = EventLogWriter(directory: dir.url)
        try await writer.append(MessageEvent(time: day, status: .queued, campaign: "c", job: "c.0000001"), durable: true)
        writer.close()
        let second = EventLogWriter(directory: dir.url)
        try await second.append(MessageEvent(time: day, status: .queued, campaign: "c", job: "c.0000002"), durable: true)
        second.close()
        #expect(EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events.map(\.job) == ["c.0000001", "c.0000002"])
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("torn").path))
    }
}

/// The clock stepped back across midnight: lines go on into the newest day's file, where a follower that has
/// moved on to it still finds them.
@Suite struct ClockStepTests {
    @Test func anOptOutLoggedAfterTheClockWentBackIsStillFollowed() async throws {
        let dir = TempDir()
        let writer = EventLogWriter(directory: dir.url)
        let afterMidnight = Date(timeIntervalSince1970: 1_796_342_405)  // 2026-12-04T00:00:05Z
        try await writer.append(
            MessageEvent(kind: .optOut, time: afterMidnight, phone: "+919876500001", reason: "replied \"STOP\"", source: "webhook")
        )
        var tail = EventLogTail(directory: dir.url)
        #expect(tail.nextWithPlaces(kinds: [.optOut]).map(\.event.phone) == ["+919876500001"])
        // NTP steps the clock back ten seconds: the next line's own time is the day before.
        try await writer.append(
            MessageEvent(
                kind: .optOut,
                time: afterMidnight.addingTimeInterval(-10),
                phone: "+919876500002",
                reason: "replied \"STOP\"",
                source: "webhook"
            )
        )
        // A second writer (another process, or a restart) does the same.
        let other = EventLogWriter(directory: dir.url)
        try await other.append(
            MessageEvent(
                kind: .optOut,
                time: afterMidnight.addingTimeInterval(-20),
                phone: "+919876500003",
                reason: "replied \"STOP\"",
                source: "webhook"
            )
        )
        writer.close()
        other.close()
        #expect(tail.nextWithPlaces(kinds: [.optOut]).map(\.event.phone) == ["+919876500002", "+919876500003"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["events-2026-12-04.jsonl"])
    }
}

@Suite struct SpoolControlTests {
    /// A control.json from before holds moved into the database: an undecodable one becomes a queue hold
    /// (never "no holds"), and it is read once, then renamed.
    @Test func anUnreadableLegacyFileBecomesAQueueHold() throws {
        let dir = TempDir()
        try Data(#"{"campaignHolds": {"diwali": {"reason": "paused by staff", "since": "2026-12-03T10:00:00.000Z"}}, "queueHold": nu"#.utf8)
            .write(to: SpoolControl.legacyFile(in: dir.url))
        let control = SpoolControl.load(spool: dir.url)
        let hold = try #require(control.queueHold)
        #expect(hold.reason.hasPrefix("var/spool/control.json could not be read ("))
        #expect(hold.reason.hasSuffix("); sending is paused until `wabulk resume`"))
        #expect(!FileManager.default.fileExists(atPath: SpoolControl.legacyFile(in: dir.url).path))
        #expect(FileManager.default.fileExists(atPath: SpoolControl.legacyFile(in: dir.url).path + ".migrated"))
        // The operator's resume lifts it.
        try SpoolControl.update(spool: dir.url) { $0.queueHold = nil }
        #expect(SpoolControl.load(spool: dir.url) == SpoolControl())
    }

    @Test func aReadableLegacyFileKeepsItsHolds() throws {
        let dir = TempDir()
        try Data(
            #"{"campaignHolds": {"diwali": {"reason": "paused by staff", "since": "2026-12-03T10:00:00.000Z"}}, "queueHold": {"reason": "(#190) token expired", "errorCode": 190, "since": "2026-12-03T11:00:00.000Z"}}"#
                .utf8
        )
        .write(to: SpoolControl.legacyFile(in: dir.url))
        let control = SpoolControl.load(spool: dir.url)
        #expect(control.campaignHolds.keys.sorted() == ["diwali"])
        #expect(control.campaignHolds["diwali"]?.reason == "paused by staff")
        #expect(control.campaignHolds["diwali"]?.since == "2026-12-03T10:00:00.000Z")
        #expect(control.queueHold?.errorCode == 190)
        #expect(control.queueHold?.reason == "(#190) token expired")
        // Older files kept no cause: it is told from the words once, then kept typed.
        #expect(control.campaignHolds["diwali"]?.cause == .paused(by: "staff"))
        #expect(control.queueHold?.cause == .metaError(code: 190))
    }

    /// Decisions read the cause, never the words: a hold reworded (or worded like another kind) keeps its kind.
    @Test func theCauseNotTheReasonDecides() throws {
        let dir = TempDir()
        try SpoolControl.update(spool: dir.url) {
            $0.campaignHolds["a"] = .init(reason: "template diwali is PAUSED at Meta", cause: .paused(by: "operator"), since: Date())
            $0.campaignHolds["b"] = .init(reason: "stopped for a while", cause: .template(name: "diwali"), since: Date())
        }
        let control = SpoolControl.load(spool: dir.url)
        #expect(control.campaignHolds["a"]?.cause.isPause == true)
        #expect(control.campaignHolds["b"]?.cause == .template(name: "diwali"))
        #expect(control.campaignHolds["b"]?.cause.isPause == false)
    }

    /// Four writers at once (the daemon, the CLI, control files, the follower) each add their holds: with a
    /// shared file read, changed and written back, writers lost each other's holds; in the table none is lost.
    @Test func concurrentWritersLoseNoHold() async throws {
        let dir = TempDir()
        try SpoolControl.update(spool: dir.url) { $0.queueHold = nil }
        let watch = SpoolControl.Watch(spool: dir.url)
        #expect(watch.current() == SpoolControl())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    try await onOwnThread {
                        for i in 0..<25 {
                            try SpoolControl.update(spool: dir.url) {
                                $0.campaignHolds["c\(writer)-\(i)"] = .init(
                                    reason: "paused by \(writer)",
                                    cause: .paused(by: "\(writer)"),
                                    since: Date()
                                )
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(SpoolControl.load(spool: dir.url).campaignHolds.count == 100)
        // The dispatcher's watch sees the change (the marker moved) without being told.
        #expect(watch.current().campaignHolds.count == 100)
    }

    /// A store that cannot be read stops sending; it is asked again on the next look.
    @Test func anUnreadableStorePausesSending() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 8192).write(to: Spool.databaseFile(in: dir.url))
        let watch = SpoolControl.Watch(spool: dir.url)
        let control = watch.current()
        #expect(control.storeUnreadable)
        #expect(control.queueHold?.reason.hasPrefix("the holds in var/spool/jobs.sqlite could not be read (") == true)
    }
}

/// A skip by the opt-out rule is known by its event's source, whatever its words; logs from before planning
/// skips carried the source are read by their words.
@Suite struct SuppressionSkipTests {
    @Test func theSourceDecidesAndOldWordsStillCount() {
        let t = Date(timeIntervalSince1970: 1_796_342_405)
        let ledger = MessageLedger(events: [
            MessageEvent(time: t, status: .skipped, campaign: "c", job: "c.skip-1", reason: "not to be messaged", source: "opt-out"),
            MessageEvent(time: t, status: .skipped, campaign: "c", job: "c.skip-2", reason: "opted out", source: "campaign"),
            MessageEvent(time: t, status: .skipped, campaign: "c", job: "c.skip-3", reason: "invalid number: too short", source: "campaign"),
            MessageEvent(time: t, status: .queued, campaign: "c", job: "c.0000001", source: "campaign"),
        ])
        var flags: [String: Bool] = [:]
        ledger.forEachWithJob { job, m in flags[job] = m.skippedBySuppression }
        #expect(flags == ["c.skip-1": true, "c.skip-2": true, "c.skip-3": false, "c.0000001": false])
    }
}
