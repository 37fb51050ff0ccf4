import Contacts
import EventLog
import Foundation
import GRDB
import Spool
import Testing
import WabulkBase

@testable import Campaigns

/// Planning in batches (issue 22): the audience chosen in SQL matches the rule written out by hand, a plan
/// resumes after the last batch that landed, a cancel stops it, and the spool hands out a big campaign
/// a window at a time in order.
@Suite struct PlanningBatchTests {
    struct Fixture {
        let dir = TempDir()
        let registry: ContactRegistry
        let spool: Spool
        let events: EventLogWriter
        var campaigns: URL { dir.url.appendingPathComponent("campaigns") }
        var spoolDirectory: URL { dir.url.appendingPathComponent("spool") }
        var log: URL { dir.url.appendingPathComponent("log") }

        init() throws {
            registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
            spool = Spool(directory: dir.url.appendingPathComponent("spool"))
            events = EventLogWriter(directory: dir.url.appendingPathComponent("log"))
        }

        func planner(batchSize: Int) throws -> CampaignPlanner {
            CampaignPlanner(
                registry: registry,
                normalizer: try PhoneNormalizer(defaultCountry: "91"),
                spool: spool,
                events: events,
                campaignsDirectory: campaigns,
                batchSize: batchSize
            )
        }

        func manifest(_ audience: String, id: String = "c1") throws -> CampaignManifest {
            try ManifestReader.read(
                Data(
                    #"{"id": "\#(id)", "template": {"name": "t", "language": "en_US"}, "audience": \#(audience), "variables": {"body": ["{name}"]}}"#
                        .utf8
                ),
                fileName: "m.json"
            )
        }

        func spooledPhones() throws -> [String] {
            try Spool.openDatabase(in: spoolDirectory).read { db in try String.fetchAll(db, sql: "SELECT phone FROM jobs ORDER BY id") }
        }
    }

    static func phone(_ i: Int) -> String { "+9198765\(String(format: "%05d", i))" }

    @Test func aRandomRegistryGivesTheAudienceTheRuleNames() async throws {
        let f = try Fixture()
        var rng = SystemRandomNumberGenerator()
        let pool = ["a", "b", "C", "É", "é"]
        var contacts: [Contact] = []
        for i in 0..<3_000 {
            contacts.append(Contact(phone: Self.phone(i), name: "P\(i)", tags: pool.filter { _ in Bool.random(using: &rng) }))
        }
        _ = try f.registry.merge(contacts, now: Date())
        let optedOut = Set((0..<3_000).filter { $0 % 11 == 0 }.map(Self.phone))
        let removed = Set((0..<3_000).filter { $0 % 17 == 0 && $0 % 11 != 0 }.map(Self.phone))
        _ = try f.registry.apply(optedOut.map { PreferenceChange(phone: $0, optedOut: true, source: "test", at: Date()) })
        _ = try f.registry.remove(phones: Array(removed), at: Date())

        let cases: [(String, (Set<String>) -> Bool)] = [
            (#"{"tags": ["A", "b"]}"#, { !$0.isDisjoint(with: ["a", "b"]) }),
            (#"{"tags": ["a", "c"], "match": "all"}"#, { $0.isSuperset(of: ["a", "c"]) }),
            // ASCII letters match without regard to case, others as written ("É" is not "é").
            (#"{"tags": ["é"], "excludeTags": ["B"]}"#, { $0.contains("é") && !$0.contains("b") }),
            (#"{"tags": ["É"]}"#, { $0.contains("É") }),
            (#"{"all": true, "excludeTags": ["a", "c"]}"#, { $0.isDisjoint(with: ["a", "c"]) }),
        ]
        for (n, (audience, rule)) in cases.enumerated() {
            let plan = try await f.planner(batchSize: 97).plan(try f.manifest(audience, id: "case\(n)"), sourceFile: "m.json")
            let named = contacts.filter { rule(Set($0.tags.map(ContactRegistry.tagKey))) }.map(\.phone)
            let expected = named.filter { !optedOut.contains($0) && !removed.contains($0) }
            let jobs = try await Spool.openDatabase(in: f.spoolDirectory).read { db in
                try String.fetchAll(db, sql: "SELECT phone FROM jobs WHERE campaign = ? ORDER BY id", arguments: ["case\(n)"])
            }
            #expect(jobs == expected, "\(audience)")
            #expect(plan.queued == expected.count)
            #expect(plan.skipped["opted out", default: 0] == named.filter(optedOut.contains).count, "\(audience)")
            #expect(plan.skipped["removed from contacts", default: 0] == named.filter(removed.contains).count, "\(audience)")
        }
    }

    @Test func retaggingAndMergingChangeTheAudienceAndLookalikeTagsDoNot() async throws {
        let f = try Fixture()
        _ = try f.registry.merge(
            [
                Contact(phone: Self.phone(1), tags: ["Old"]), Contact(phone: Self.phone(2), tags: ["old", "keep"]),
                // Tags whose JSON holds another tag's quoted text, and LIKE's own wildcards.
                Contact(phone: Self.phone(3), tags: [#"x","new"#, "50%_off"]), Contact(phone: Self.phone(4), tags: ["50%xoff", #"a\\b"#]),
            ],
            now: Date()
        )
        _ = try f.registry.merge([Contact(phone: Self.phone(1), tags: ["New"])], now: Date())  // tags united
        try f.registry.retag(phones: [Self.phone(2)], add: ["NEW"], remove: ["OLD"], now: Date())
        #expect(try f.registry.knownTags(["old", "new", "keep", "gone", "50%_off", #"a\\b"#, "50_"]) == ["old", "new", "keep", "50%_off", #"a\\b"#])
        func audience(_ query: AudienceQuery) throws -> [String] { try f.registry.audienceBatch(query, after: nil, limit: 10).contacts.map(\.phone) }
        #expect(try audience(AudienceQuery(.anyTag(["new"]))) == [Self.phone(1), Self.phone(2)])
        #expect(try audience(AudienceQuery(.anyTag(["old"]))) == [Self.phone(1)])
        #expect(try audience(AudienceQuery(.anyTag(["50%_off"]))) == [Self.phone(3)])
        #expect(try audience(AudienceQuery(.anyTag([#"a\\b"#]))) == [Self.phone(4)])
        #expect(try audience(AudienceQuery(.allTags(["new", "keep"]))) == [Self.phone(2)])
        #expect(try audience(AudienceQuery(.everyone, excluding: ["new"])) == [Self.phone(3), Self.phone(4)])
    }

    /// A build of this session kept a tag table by triggers (three times slower imports); a registry it made
    /// is put back as it was.
    @Test func aRegistryWithTheTagTableLosesIt() async throws {
        let dir = TempDir()
        let path = dir.url.appendingPathComponent("c.sqlite")
        _ = try ContactRegistry(path: path).merge([Contact(phone: Self.phone(1), tags: ["VIP"])], now: Date())
        try await DatabaseQueue(path: path.path).write { db in
            try db.execute(sql: "CREATE TABLE contact_tags (tag TEXT NOT NULL, phone TEXT NOT NULL, PRIMARY KEY (tag, phone)) WITHOUT ROWID")
            try db.execute(
                sql:
                    "CREATE TRIGGER contact_tags_on_insert AFTER INSERT ON contacts BEGIN INSERT INTO contact_tags VALUES (wabulk_tag_key(NEW.tags), NEW.phone); END"
            )
        }
        let registry = try ContactRegistry(path: path)
        _ = try registry.merge([Contact(phone: Self.phone(2), tags: ["vip"])], now: Date())
        #expect(
            try registry.audienceBatch(AudienceQuery(.anyTag(["vip"])), after: nil, limit: 10).contacts.map(\.phone) == [
                Self.phone(1), Self.phone(2),
            ]
        )
        #expect(try await DatabaseQueue(path: path.path).read { db in try db.tableExists("contact_tags") } == false)
    }

    @Test func aPlanResumesAfterTheLastBatchThatLanded() async throws {
        let f = try Fixture()
        _ = try f.registry.merge((1...10).map { Contact(phone: Self.phone($0), name: "P\($0)", tags: ["t"]) }, now: Date())
        let manifest = try f.manifest(#"{"tags": ["t"]}"#)
        // A crash after the first batch of three landed, and the first of them was already sent (gone from
        // the spool): the record still says planning.
        try CampaignRecord(manifest: manifest, phase: .planning, createdAt: "x", sourceFile: "m.json", queued: 0, skipped: [:]).save(in: f.campaigns)
        let first = (1...3).map {
            SpoolJob(
                campaign: "c1",
                sequence: $0,
                phone: Self.phone($0),
                name: "P\($0)",
                template: .init(name: "t", language: "en_US", body: ["P\($0)"])
            )
        }
        #expect(
            try await f.spool.enqueue(first.map { SpoolRow($0, at: Date()) }, progress: PlanProgress(campaign: "c1", cursor: Self.phone(3), jobs: 3))
        )
        let sent = try #require(try await f.spool.claimNext(now: Date()))
        try await f.spool.complete(sent)

        let plan = try await f.planner(batchSize: 3).plan(manifest, sourceFile: "m.json")
        #expect(plan.queued == 10)
        #expect(try f.spooledPhones() == (2...10).map(Self.phone))
        let ids = try await Spool.openDatabase(in: f.spoolDirectory).read { db in try String.fetchAll(db, sql: "SELECT id FROM jobs ORDER BY id") }
        #expect(ids == (2...10).map { SpoolJob.id(campaign: "c1", sequence: $0) })
        #expect(CampaignRecord.load("c1", in: f.campaigns)?.phase == .spooled)
        #expect(CampaignRecord.load("c1", in: f.campaigns)?.queued == 10)
        #expect(try await f.spool.planProgress(campaign: "c1") == PlanProgress(campaign: "c1", cursor: nil, jobs: 10, skipped: [:], finished: true))
    }

    @Test func aCancelStopsTheNextBatchAndClosesTheLinesLoggedForIt() async throws {
        let f = try Fixture()
        _ = try f.registry.merge((1...10).map { Contact(phone: Self.phone($0), name: "P\($0)") }, now: Date())
        try SpoolControl.update(spool: f.spoolDirectory) {
            $0.campaignHolds["c1"] = .init(reason: "cancelled by test", cause: .cancelled(by: "test"), since: Date())
        }
        _ = try await f.planner(batchSize: 4).plan(try f.manifest(#"{"all": true}"#), sourceFile: "m.json")
        #expect(try f.spooledPhones().isEmpty)
        await f.events.close()
        let lines = EventLogReader(directory: f.log).readAll().events
        let queued = Set(lines.filter { $0.status == .queued }.map(\.job))
        let cancelled = Set(lines.filter { $0.status == .cancelled }.map(\.job))
        // The first batch was logged before its jobs were refused, and the second while they were.
        #expect(queued.count == 8)
        #expect(cancelled == queued)
    }

    @Test func aBigCampaignIsHandedOutInOrderAWindowAtATime() async throws {
        let f = try Fixture()
        func jobs(_ campaign: String, _ range: ClosedRange<Int>) -> [SpoolJob] {
            range.map { SpoolJob(campaign: campaign, sequence: $0, phone: Self.phone($0), name: "", template: .init(name: "t", language: "en")) }
        }
        try await f.spool.enqueue(jobs("big", 1...1_500))
        try await f.spool.enqueue(jobs("small", 1...5))
        try await f.spool.enqueue(jobs("big", 1_501...2_500))
        var claimed: [String: [String]] = [:]
        var n = 0
        while let job = try await f.spool.claimNext(now: Date()) {
            claimed[job.campaign, default: []].append(job.id)
            try await f.spool.complete(job)
            n += 1
            // Another process changed the spool: the index is read again from the database, mid-campaign.
            if n == 1_234 { try Spool.announceChange(in: f.spoolDirectory) }
        }
        #expect(claimed["big"] == (1...2_500).map { SpoolJob.id(campaign: "big", sequence: $0) })
        #expect(claimed["small"] == (1...5).map { SpoolJob.id(campaign: "small", sequence: $0) })
        #expect(await f.spool.depth() == Spool.Depth())
    }

    @Test func anOlderSpoolTradesItsStateIndexForThePartialOne() throws {
        let dir = TempDir()
        let file = Spool.databaseFile(in: dir.url)
        _ = try Spool.openDatabase(in: dir.url)
        try DatabaseQueue(path: file.path).write { db in
            try db.execute(sql: "DROP INDEX jobs_out_of_line; CREATE INDEX jobs_by_state ON jobs (state, campaign, id)")
        }
        let indexes = try Spool.openDatabase(in: dir.url).read { db in
            try db.indexes(on: "jobs").map(\.name).filter { !$0.hasPrefix("sqlite_") }.sorted()
        }
        #expect(indexes == ["jobs_by_phone", "jobs_out_of_line"])
    }
}

/// A new spool is made by whoever opens it first; at a daemon's start several services do at once.
@Suite struct SpoolCreationTests {
    @Test func manyOpenersOfANewSpoolAllSucceed() throws {
        for _ in 0..<20 {
            let dir = TempDir()
            let failures = NSLock()
            nonisolated(unsafe) var failed: [String] = []
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do { _ = try Spool.openDatabase(in: dir.url) } catch { failures.withLock { failed.append("\(error)") } }
            }
            #expect(failed.isEmpty, "\(failed.first ?? "")")
            let pageSize = try DatabaseQueue(path: Spool.databaseFile(in: dir.url).path).read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") }
            #expect(pageSize == 16_384)
        }
    }
}
