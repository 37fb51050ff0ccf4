import Campaigns
import Contacts
import EventLog
import Foundation
import Logging
import Spool
import Testing
import WabulkBase

/// Recurring campaigns (issue 23): each occurrence planned when it comes, with the registry as it is then.
@Suite struct RecurringTests {
    final class Rig: @unchecked Sendable {
        let dir = TempDir("wabulk-recurring")
        let home: HomeLayout
        let registry: ContactRegistry
        let events: EventLogWriter
        let planner: CampaignPlanner
        let service: RecurringCampaigns

        init() throws {
            home = dir.home
            try home.create()
            registry = try ContactRegistry(path: home.contactsDatabase)
            events = EventLogWriter(directory: home.log)
            planner = CampaignPlanner(
                registry: registry,
                normalizer: try PhoneNormalizer(defaultCountry: "91"),
                spool: Spool(directory: home.spool),
                events: events,
                campaignsDirectory: home.campaigns,
                logDirectory: home.log,
                now: { Timestamp.parse("2026-12-06T04:30:00.000Z")! }
            )
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            service = RecurringCampaigns(planner: planner, spoolDirectory: home.spool, logger: logger)
        }

        func add(_ numbers: ClosedRange<Int>) throws {
            _ = try registry.merge(
                numbers.map { Contact(phone: "+9198765\(String(format: "%05d", $0))", name: "C\($0)", tags: ["weekly"]) },
                now: Date()
            )
        }

        func queued(_ campaign: String) -> Set<String> {
            Set(MessageLedger(logDirectory: home.log).records(campaign: campaign).filter { $0.status == .queued }.compactMap(\.phone))
        }

        /// What the dispatcher would log once each of the occurrence's messages went.
        func sendAll(_ campaign: String) async throws {
            let jobs = MessageLedger(logDirectory: home.log).records(campaign: campaign)
            try await events.append(
                jobs.map {
                    MessageEvent(
                        time: Date(),
                        status: .sent,
                        campaign: campaign,
                        job: $0.job,
                        phone: $0.phone,
                        wamid: "w-\($0.job)",
                        source: "dispatch"
                    )
                }
            )
        }
    }

    static let monday = Timestamp.parse("2026-12-07T04:35:00.000Z")!  // 10:05 in Kolkata
    static func week(_ n: Int) -> Date { monday.addingTimeInterval(Double(n) * 7 * 86_400) }

    @Test(arguments: [false, true]) func threeMondaysReachTheContactsAddedBetweenThem(excludePrevious: Bool) async throws {
        let rig = try Rig()
        try rig.add(1...5)
        let manifest = try ManifestReader.read(
            Data(
                #"{"id": "weekly", "template": {"name": "t", "language": "en"}, "audience": {"tags": ["weekly"]}, "repeat": {"every": "week", "on": "mon", "at": "10:00", "timezone": "Asia/Kolkata", "excludePrevious": \#(excludePrevious)}}"#
                    .utf8
            ),
            fileName: "weekly.json"
        )
        let parent = try await rig.planner.plan(manifest, sourceFile: "weekly.json")
        #expect(parent.queued == 0)
        #expect(parent.nextOccurrence == "2026-12-07T04:30:00.000Z")
        // Sunday: nothing is due yet.
        #expect(await rig.service.planDue(now: Self.monday.addingTimeInterval(-86_400)) == [])

        #expect(await rig.service.planDue(now: Self.week(0)) == ["weekly--2026-12-07"])
        #expect(await rig.service.planDue(now: Self.week(0).addingTimeInterval(3600)) == [])
        #expect(rig.queued("weekly--2026-12-07").count == 5)
        try await rig.sendAll("weekly--2026-12-07")

        try rig.add(6...7)
        #expect(await rig.service.planDue(now: Self.week(1)) == ["weekly--2026-12-14"])
        let second = rig.queued("weekly--2026-12-14")
        #expect(second == Set((excludePrevious ? 6...7 : 1...7).map { "+9198765\(String(format: "%05d", $0))" }))
        try await rig.sendAll("weekly--2026-12-14")

        try rig.add(8...8)
        // Paused as a whole: the next occurrence is planned held.
        let control = CampaignControl(
            campaignsDirectory: rig.home.campaigns,
            spoolDirectory: rig.home.spool,
            events: rig.events,
            eventsDirectory: rig.home.log
        )
        _ = try await control.perform(.pause, campaign: "weekly", by: "test")
        #expect(await rig.service.planDue(now: Self.week(2)) == ["weekly--2026-12-21"])
        // With excludePrevious only the last occurrence's people (6 and 7) are left out.
        #expect(rig.queued("weekly--2026-12-21").count == (excludePrevious ? 6 : 8))
        let holds = SpoolControl.load(spool: rig.home.spool).campaignHolds
        #expect(Set(holds.keys) == ["weekly", "weekly--2026-12-07", "weekly--2026-12-14", "weekly--2026-12-21"])

        // Cancelled as a whole: no occurrence after it.
        _ = try await control.perform(.cancel, campaign: "weekly", by: "test")
        #expect(await rig.service.planDue(now: Self.week(3)) == [])
        #expect(CampaignRecord.load("weekly--2026-12-21", in: rig.home.campaigns)?.phase == .cancelled)
    }

    /// The real daemon and sandbox with the clock injected (`WABULK_CLOCK_FILE`): a weekly campaign is planned on
    /// three consecutive Mondays, each occurrence reaching the contacts imported since the one before (and, with
    /// `excludePrevious`, not those the occurrence before reached).
    @Test func theDaemonSendsAWeeklyCampaignOnThreeConsecutiveMondays() async throws {
        let clockDir = TempDir("wabulk-clock")
        let clockFile = clockDir.url.appendingPathComponent("now")
        func setClock(_ time: String) throws { try Data(time.utf8).write(to: clockFile) }
        try setClock("2027-01-03T06:30:00Z")  // Sunday noon in Kolkata
        let rig = try SuppressionFlowTests.Rig(
            sandboxArguments: [],
            settings: ["WABULK_RATE": "1200/min", "WABULK_CAMPAIGN_SCAN_SECONDS": "0.2", WallClock.fileVariable: clockFile.path]
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()
        defer { rig.daemon.stop() }
        func contacts(_ name: String, _ people: ClosedRange<Int>) async throws {
            try rig.drop(
                name,
                "Name,Phone,Tags\n" + people.map { "Person \($0),\(SuppressionFlowTests.phone($0)),weekly" }.joined(separator: "\n") + "\n"
            )
            #expect(try await eventually { rig.receipt(name) != nil })
        }
        func sent(_ occurrence: String) async -> [String] {
            await rig.records().filter { ($0["callbackData"] as? String)?.hasPrefix(occurrence + ".") == true }.compactMap { $0["to"] as? String }
        }
        try await contacts("first.csv", 1...3)
        try rig.drop(
            "weekly.json",
            #"{"id": "weekly", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"tags": ["weekly"]}, "repeat": {"every": "week", "on": "mon", "at": "10:00", "timezone": "Asia/Kolkata", "excludePrevious": true}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually { rig.receipt("weekly.json") != nil })
        #expect((rig.receipt("weekly.json")?["message"] as? String)?.contains("first occurrence at 2027-01-04T04:30:00.000Z") == true)
        // Sunday: a few scans pass and nothing goes.
        try await Task.sleep(for: .seconds(1))
        #expect(await rig.records().isEmpty)

        // Each Monday: everyone tagged by then, less those the occurrence before reached (`excludePrevious`).
        var tagged: Set<String> = []
        var previous: Set<String> = []
        var total = 0
        for (week, monday, added) in [(0, "2027-01-04", 1...3), (1, "2027-01-11", 4...5), (2, "2027-01-18", 6...6)] {
            if week > 0 { try await contacts("week-\(week).csv", added) }
            tagged.formUnion(added.map(SuppressionFlowTests.phone))
            let expected = tagged.subtracting(previous)
            try setClock("\(monday)T04:30:00Z")
            let occurrence = "weekly--\(monday)"
            #expect(try await eventually(timeout: 60) { await sent(occurrence).count == expected.count }, "\(rig.daemonLog())")
            #expect(Set(await sent(occurrence)) == expected)
            #expect(Set(added.map(SuppressionFlowTests.phone)).isSubset(of: expected))
            previous = expected
            total += expected.count
        }
        // Nothing twice within an occurrence, nothing else: 3 + 2 + 4 messages.
        try await Task.sleep(for: .seconds(1))
        let records = await rig.records()
        #expect(total == 9)
        #expect(records.count == total)
        #expect(Set(records.compactMap { $0["to"] as? String }) == tagged)
        let show = try await rig.wabulk(["campaign", "show", "weekly"])
        for monday in ["2027-01-04", "2027-01-11", "2027-01-18"] { #expect(show.stdout.contains("weekly--\(monday)"), "\(show.stdout)") }
    }

    /// The injected clock runs at real speed from the time last written; a missing or unreadable time is ignored.
    @Test func theClockFileIsFollowed() throws {
        let dir = TempDir("wabulk-clock")
        let file = dir.url.appendingPathComponent("now")
        let clock = WallClock.following(file: file)
        #expect(abs(clock.now().timeIntervalSinceNow) < 5)
        try Data("2027-01-04T04:30:00Z\n".utf8).write(to: file)
        let set = Timestamp.parse("2027-01-04T04:30:00Z")!
        #expect(clock.now() >= set && clock.now() < set.addingTimeInterval(5))
        try Data("next monday".utf8).write(to: file)
        #expect(abs(clock.now().timeIntervalSinceNow) < 5)
        #expect(WallClock.fromEnvironment([:]).file == nil)
        #expect(WallClock.fromEnvironment([WallClock.fileVariable: file.path]).file == file.path)
    }

    @Test func aContactAddedCampaignGreetsEachNewcomerOnce() async throws {
        let rig = try Rig()
        try rig.add(1...3)
        let manifest = try ManifestReader.read(
            Data(
                #"{"id": "welcome", "template": {"name": "t", "language": "en"}, "audience": {"tags": ["weekly"]}, "trigger": "contact-added"}"#.utf8
            ),
            fileName: "welcome.json"
        )
        #expect(try await rig.planner.plan(manifest, sourceFile: "welcome.json").queued == 0)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let trigger = TriggerCampaigns(planner: rig.planner, spoolDirectory: rig.home.spool, logger: logger)
        // Those in the audience when it was dropped are not greeted.
        #expect(await trigger.greetNew(now: Date()) == [])
        try rig.add(4...4)
        #expect(await trigger.greetNew(now: Date()) == ["welcome--1"])
        #expect(rig.queued("welcome--1") == ["+919876500004"])
        // Imported again and tagged again: nothing more.
        try rig.add(4...4)
        _ = try rig.registry.retag(phones: ["+919876500004"], add: ["weekly"], remove: [], now: Date())
        #expect(await trigger.greetNew(now: Date()) == [])
        // Someone already in the registry enters the audience by a new tag; leaving and entering again is once.
        _ = try rig.registry.merge([Contact(phone: "+919876500009", name: "N", tags: [])], now: Date())
        #expect(await trigger.greetNew(now: Date()) == [])
        _ = try rig.registry.retag(phones: ["+919876500009"], add: ["weekly"], remove: [], now: Date())
        #expect(await trigger.greetNew(now: Date()) == ["welcome--2"])
        #expect(rig.queued("welcome--2") == ["+919876500009"])
        _ = try rig.registry.retag(phones: ["+919876500009"], add: [], remove: ["weekly"], now: Date())
        _ = try rig.registry.retag(phones: ["+919876500009"], add: ["weekly"], remove: [], now: Date())
        #expect(await trigger.greetNew(now: Date()) == [])
        // Cancelled as a whole: no one after it.
        let control = CampaignControl(
            campaignsDirectory: rig.home.campaigns,
            spoolDirectory: rig.home.spool,
            events: rig.events,
            eventsDirectory: rig.home.log
        )
        _ = try await control.perform(.cancel, campaign: "welcome", by: "test")
        try rig.add(10...10)
        #expect(await trigger.greetNew(now: Date()) == [])
        #expect(CampaignRecord.load("welcome--2", in: rig.home.campaigns)?.phase == .cancelled)
    }

    @Test func aScheduleIsCheckedFieldByField() {
        func problems(_ schedule: String) -> [String] {
            let json = #"{"id": "r", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "repeat": \#(schedule)}"#
            do {
                _ = try ManifestReader.read(Data(json.utf8), fileName: "r.json")
                return []
            } catch { return error.problems.map { "\($0.field): \($0.reason)" } }
        }
        #expect(problems(#"{"every": "day", "at": "09:30", "timezone": "Asia/Kolkata", "until": "2027-01-01T00:00:00Z"}"#) == [])
        #expect(
            problems(#"{"every": "week", "at": "25:00", "timezone": "Mars/Olympus"}"#) == [
                "repeat.on: a weekly campaign needs its day: one of sun, mon, tue, wed, thu, fri, sat",
                "repeat.at: \"25:00\" is not HH:MM",
                "repeat.timezone: \"Mars/Olympus\" is not a time zone like Asia/Kolkata",
            ]
        )
        #expect(problems(#"{"every": "month", "at": "09:00", "timezone": "UTC"}"#) == ["repeat.every: must be \"day\" or \"week\""])
    }

    @Test func aTriggerIsCheckedFieldByField() {
        func problems(_ extra: String, audience: String = #"{"tags": ["m"]}"#) -> [String] {
            let json = #"{"id": "w", "template": {"name": "t", "language": "en"}, "audience": \#(audience), \#(extra)}"#
            do {
                _ = try ManifestReader.read(Data(json.utf8), fileName: "w.json")
                return []
            } catch { return error.problems.map { "\($0.field): \($0.reason)" } }
        }
        #expect(problems(#""trigger": "contact-added", "until": "2027-01-01T00:00:00Z""#) == [])
        #expect(problems(#""trigger": "on-signup""#) == ["trigger: \"on-signup\" is not contact-added"])
        #expect(
            problems(#""trigger": "contact-added""#, audience: #"{"phones": ["+919876500001"]}"#) == [
                "trigger: needs an audience of tags or all contacts (who enters it later is greeted)"
            ]
        )
        #expect(
            problems(#""until": "tomorrow""#) == [
                "until: only goes with trigger (a recurring campaign's end is repeat.until)", "until: \"tomorrow\" is not an ISO 8601 time",
            ]
        )
    }
}
