import Contacts
import EventLog
import Foundation
import Spool
import Testing

@testable import Campaigns

@Suite struct ManifestReaderTests {
    @Test func theProductExampleReads() throws {
        let m = try ManifestReader.read(
            Data(
                """
                {"id": "diwali-2026", "name": "Diwali offer 2026", "template": {"name": "diwali_offer", "language": "en_US"},
                 "audience": {"tags": ["vip", "delhi"], "match": "any", "excludeTags": ["staff"]},
                 "variables": {"body": ["{name}", "20%"]}, "startAt": "2026-11-01T09:00:00+05:30",
                 "sendWindow": {"from": "09:00", "to": "20:00", "timezone": "Asia/Kolkata"}, "rate": "20/min"}
                """.utf8
            ),
            fileName: "x.json"
        )
        #expect(m.id == "diwali-2026")
        #expect(m.audience.tags == ["vip", "delhi"])
        #expect(m.audience.match == .any)
        #expect(m.variables?.body == .positional(["{name}", "20%"]))
        #expect(m.rate == "20/min")
    }

    @Test func everyProblemIsListedAtOnce() {
        let data = Data(
            #"{"id": "bad id", "template": {"name": "t"}, "audience": {"all": true, "tags": ["a"]}, "rate": "fast", "colour": "red", "startAt": "tomorrow"}"#
                .utf8
        )
        #expect {
            try ManifestReader.read(data, fileName: "m.json")
        } throws: { error in
            (error as? ManifestRejection)?.problems.map(\.description) == [
                "colour: unknown key",
                "id: \"bad id\" must be 1–64 letters, digits, - or _ (no dots, slashes or spaces)",
                "template.language: is required",
                "audience: needs exactly one of \"all\": true, \"tags\": [...], \"phones\": [...] or \"campaign\": \"ID\"",
                "startAt: \"tomorrow\" is not an ISO 8601 time with offset, like 2026-11-01T09:00:00+05:30",
                "rate: \"fast\" is not a rate like 20/min",
            ]
        }
    }

    /// A key given twice leaves staff unsure which value counts; a number is not a yes/no.
    @Test func repeatedKeysAndLooseTypesAreProblems() {
        let data = Data(
            #"{"id": "a", "id": "b", "template": {"name": "t", "language": "en", "name": "u"}, "audience": {"all": true}, "dryRun": 1}"#.utf8
        )
        #expect {
            try ManifestReader.read(data, fileName: "m.json")
        } throws: { error in
            (error as? ManifestRejection)?.problems.map(\.description) == [
                "id: given twice", "template.name: given twice", "dryRun: must be true or false",
            ]
        }
    }

    @Test func theIdComesFromTheFileNameWhenMissing() throws {
        let m = try ManifestReader.read(
            Data(#"{"template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#.utf8),
            fileName: "spring_sale.json"
        )
        #expect(m.id == "spring_sale")
    }
}

@Suite struct CampaignPlannerTests {
    struct Fixture {
        let dir = TempDir()
        let registry: ContactRegistry
        let planner: CampaignPlanner
        let spool: Spool

        init() throws {
            registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
            spool = Spool(directory: dir.url.appendingPathComponent("spool"))
            let normalizer = try PhoneNormalizer(defaultCountry: "91")
            planner = CampaignPlanner(
                registry: registry,
                normalizer: normalizer,
                spool: spool,
                events: EventLogWriter(directory: dir.url.appendingPathComponent("log")),
                campaignsDirectory: dir.url.appendingPathComponent("campaigns")
            )
            _ = try registry.merge(
                [
                    Contact(phone: "+919876500001", name: "Asha", tags: ["vip", "delhi"], fields: ["City": "Delhi"]),
                    Contact(phone: "+919876500002", name: "Bala", tags: ["vip"]),
                    Contact(phone: "+919876500003", name: "Chitra", tags: ["delhi", "staff"]),
                    Contact(phone: "+919876500004", name: "", tags: ["delhi"]),
                    Contact(phone: "+919876500005", name: "Esha", tags: ["vip", "delhi"]),
                ],
                now: Date()
            )
            _ = try registry.apply([PreferenceChange(phone: "+919876500005", optedOut: true, source: "test", at: Date())])
        }

        func manifest(_ audience: String, variables: String = #"{"body": ["{name}"]}"#, id: String = "c1") throws -> CampaignManifest {
            try ManifestReader.read(
                Data(#"{"id": "\#(id)", "template": {"name": "t", "language": "en_US"}, "audience": \#(audience), "variables": \#(variables)}"#.utf8),
                fileName: "m.json"
            )
        }
    }

    @Test(arguments: [
        (#"{"tags": ["vip", "delhi"], "match": "all"}"#, ["+919876500001"], ["opted out": 1]),
        (
            #"{"tags": ["vip", "delhi"], "match": "any", "excludeTags": ["staff"]}"#, ["+919876500001", "+919876500002"],
            ["opted out": 1, "no value for {name}": 1]
        ),
        (#"{"all": true}"#, ["+919876500001", "+919876500002", "+919876500003"], ["opted out": 1, "no value for {name}": 1]),
        (
            #"{"phones": ["98765 00002", "+919876500002", "12", "+919876599999"]}"#, ["+919876500002"],
            ["invalid number: too short for a phone number": 1, "no value for {name}": 1]
        ),
    ])
    func audiencesResolve(audience: String, expected: [String], skipped: [String: Int]) async throws {
        let f = try Fixture()
        let plan = try await f.planner.plan(try f.manifest(audience), sourceFile: "m.json")
        var phones: [String] = []
        while let job = try await f.spool.claimNext(now: Date()) { phones.append(job.phone) }
        #expect(phones == expected)
        #expect(plan.queued == expected.count)
        #expect(plan.skipped == skipped)
    }

    @Test func variablesAreRenderedFromContactFields() async throws {
        let f = try Fixture()
        _ = try await f.planner.plan(
            try f.manifest(#"{"phones": ["+919876500001"]}"#, variables: #"{"body": ["Hi {name} from {city}", "20%"]}"#),
            sourceFile: "m.json"
        )
        let job = try #require(try await f.spool.claimNext(now: Date()))
        #expect(job.template.body == ["Hi Asha from Delhi", "20%"])
    }

    @Test func aFallbackStandsInForAMissingField() async throws {
        let f = try Fixture()
        let plan = try await f.planner.plan(
            try f.manifest(#"{"phones": ["+919876500004", "+919876500001"]}"#, variables: #"{"body": ["{name|Customer}", "{City|your city}"]}"#),
            sourceFile: "m.json"
        )
        #expect(plan.skipped == [:])
        let first = try #require(try await f.spool.claimNext(now: Date()))
        let second = try #require(try await f.spool.claimNext(now: Date()))
        #expect(first.template.body == ["Customer", "your city"])
        #expect(second.template.body == ["Asha", "Delhi"])
    }

    @Test func theSameIdTwiceIsRefusedAndSendsNothingMore() async throws {
        let f = try Fixture()
        _ = try await f.planner.plan(try f.manifest(#"{"all": true}"#), sourceFile: "first.json")
        await #expect(throws: CampaignPlanner.PlanError.duplicate(id: "c1", firstFile: "first.json")) {
            try await f.planner.plan(try f.manifest(#"{"all": true}"#), sourceFile: "second.json")
        }
        #expect(await f.spool.depth().ready == 3)
    }

    @Test func templateProblemsAndAudienceProblemsComeTogether() async throws {
        let f = try Fixture()
        let templates = f.dir.file(
            "templates.json",
            #"[{"name": "t", "language": "hi", "status": "APPROVED", "components": [{"type": "BODY", "text": "{{1}}"}]}]"#
        )
        let planner = CampaignPlanner(
            registry: f.registry,
            normalizer: try PhoneNormalizer(defaultCountry: "91"),
            spool: f.spool,
            events: EventLogWriter(directory: f.dir.url.appendingPathComponent("log")),
            campaignsDirectory: f.dir.url.appendingPathComponent("campaigns"),
            templatesFile: templates
        )
        await #expect(
            throws: CampaignPlanner.PlanError.rejected(
                ManifestRejection(problems: [
                    .init(field: "template.language", reason: "\"t\" exists in hi, not in en_US"),
                    .init(field: "audience.tags", reason: "no contact has the tag \"nobody\""),
                ])
            )
        ) {
            try await planner.plan(try f.manifest(#"{"tags": ["nobody"]}"#), sourceFile: "m.json")
        }
        #expect(await f.spool.depth().total == 0)
    }

    @Test func unknownTagsRejectTheManifest() async throws {
        let f = try Fixture()
        await #expect(
            throws: CampaignPlanner.PlanError.rejected(
                ManifestRejection(problems: [.init(field: "audience.tags", reason: "no contact has the tag \"nobody\"")])
            )
        ) {
            try await f.planner.plan(try f.manifest(#"{"tags": ["nobody"]}"#), sourceFile: "m.json")
        }
    }
}

@Suite struct TemplateCatalogTests {
    static let catalog = """
        {"data": [
          {"name": "diwali_offer", "language": "en_US", "status": "APPROVED", "category": "MARKETING",
           "components": [{"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}"}, {"type": "BODY", "text": "Hello {{1}}, {{2}} off; {{1}} again"},
                          {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Shop", "url": "https://x.example/{{1}}"}, {"type": "QUICK_REPLY", "text": "Stop"}]}]},
          {"name": "diwali_offer", "language": "hi", "status": "APPROVED", "components": [{"type": "BODY", "text": "{{1}}"}]},
          {"name": "old_promo", "language": "en_US", "status": "PAUSED", "components": [{"type": "BODY", "text": "{{first_name}}!"}]}
        ]}
        """

    func problems(_ manifest: String) throws -> [String] {
        let dir = TempDir()
        let catalog = try #require(TemplateCatalog.load(dir.file("templates.json", Self.catalog)))
        return catalog.problems(for: try ManifestReader.read(Data(manifest.utf8), fileName: "m.json")).map(\.description)
    }

    @Test func aFittingManifestHasNoProblems() throws {
        #expect(
            try problems(
                #"{"template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"all": true}, "variables": {"header": ["{name}"], "body": ["{name}", "20%"], "buttons": ["sale"]}}"#
            ) == []
        )
    }

    @Test func wrongLanguageUnapprovedAndCountsAreEachNamed() throws {
        #expect(
            try problems(#"{"template": {"name": "diwali_offer", "language": "en_GB"}, "audience": {"all": true}}"#)
                == ["template.language: \"diwali_offer\" exists in en_US, hi, not in en_GB"]
        )
        #expect(
            try problems(#"{"template": {"name": "nope", "language": "en_US"}, "audience": {"all": true}}"#)
                == ["template.name: no template \"nope\" in the template list"]
        )
        #expect(
            try problems(#"{"template": {"name": "old_promo", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["a", "b"]}}"#)
                == ["template: \"old_promo\" (en_US) is PAUSED, not APPROVED", "variables.body: the template's body has 1 placeholder; 2 given"]
        )
        #expect(
            try problems(#"{"template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["x"]}}"#)
                == [
                    "variables.header: the template's header has 1 placeholder; 0 given",
                    "variables.body: the template's body has 2 placeholders; 1 given",
                    "variables.buttons: button 0 (Shop, url) needs a value",
                ]
        )
    }
}

/// retry-failed decides by the recorded kind of failure, not by its words; logs from before the kind was
/// recorded are still read by their words (the one legacy place).
@Suite struct TransientFailureTests {
    static func record(_ failure: FailureKind?, code: Int? = nil, title: String?, reason: String? = nil) -> MessageRecord {
        var r = MessageRecord(job: "c.0000001", status: .failed)
        r.failure = failure
        r.errorCode = code
        r.errorTitle = title
        r.reason = reason
        return r
    }

    @Test func theKindDecidesNotTheTitle() {
        #expect(CampaignControl.isTransient(Self.record(.network, title: "connection reset by the proxy")))
        #expect(CampaignControl.isTransient(Self.record(.http5xx, title: "Bad gateway")))
        #expect(CampaignControl.isTransient(Self.record(.gaveUp, title: "HTTP 429")))
        #expect(CampaignControl.isTransient(Self.record(.noAnswer, title: "no answer")))
        // Worded like a transient failure, recorded as not one.
        #expect(!CampaignControl.isTransient(Self.record(.http, title: "network error")))
        #expect(!CampaignControl.isTransient(Self.record(.outcomeUnknown, title: "HTTP 503", reason: "gave up after 3 attempts")))
        // Meta's codes go by the catalog.
        #expect(CampaignControl.isTransient(Self.record(.meta, code: 131000, title: "Something went wrong")))
        #expect(!CampaignControl.isTransient(Self.record(.meta, code: 131026, title: "network error")))
    }

    @Test func logsWithoutTheKindAreReadByTheirWords() {
        #expect(CampaignControl.isTransient(Self.record(nil, title: "network error")))
        #expect(CampaignControl.isTransient(Self.record(nil, title: "HTTP 502")))
        #expect(CampaignControl.isTransient(Self.record(nil, title: "HTTP 429", reason: "gave up after 3 attempts")))
        #expect(!CampaignControl.isTransient(Self.record(nil, title: "HTTP 404")))
        #expect(
            !CampaignControl.isTransient(
                Self.record(nil, title: "outcome unknown", reason: "may have been sent before a crash; not resent (afterReconcile = hold)")
            )
        )
    }
}

/// A campaign record changed from several places at once (the planner, a cancel from the CLI) loses no
/// change: each update reads, changes and writes under the folder's lock.
@Suite struct CampaignRecordUpdateTests {
    @Test func concurrentUpdatesLoseNothingAndACancelSurvivesThePlannersLastStep() async throws {
        let dir = TempDir()
        let manifest = try ManifestReader.read(
            Data(#"{"id": "c", "template": {"name": "t", "language": "en_US"}, "audience": {"all": true}}"#.utf8),
            fileName: "c.json"
        )
        try CampaignRecord(manifest: manifest, phase: .planning, createdAt: "2026-12-05T08:00:00.000Z", sourceFile: "c.json", queued: 0, skipped: [:])
            .save(in: dir.url)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { try await onOwnThread { for _ in 0..<50 { try CampaignRecord.update("c", in: dir.url) { $0.queued += 1 } } } }
            }
            try await group.waitForAll()
        }
        #expect(CampaignRecord.load("c", in: dir.url)?.queued == 200)
        // Cancelled while planning: the planner's last step (planning → spooled) leaves it cancelled.
        try CampaignRecord.update("c", in: dir.url) { $0.phase = .cancelled }
        try CampaignRecord.update("c", in: dir.url) { if $0.phase == .planning { $0.phase = .spooled } }
        #expect(CampaignRecord.load("c", in: dir.url)?.phase == .cancelled)
        #expect(CampaignRecord.loadAll(in: dir.url).map(\.id) == ["c"])
    }
}
