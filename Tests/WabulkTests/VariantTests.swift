import Campaigns
import EventLog
import Foundation
import Logging
import Reports
import Sandbox
import Testing
import WabulkBase

/// A/B tests (issue 23): a stable split of the audience, both variants sent interleaved, and the report's
/// Variants sheet against the sandbox's record and a reference computation of the z-test.
@Suite struct VariantTests {
    @Test func theSplitIsStableAndEven() {
        let phones = (0..<10_000).map { "+9198\(String(format: "%08d", $0 * 7919 % 100_000_000))" }
        let split = phones.map { VariantSplit.variant(campaign: "diwali-ab", phone: $0, shares: [50, 50]) }
        let first = Double(split.count { $0 == 0 }) / 10_000
        #expect(abs(first - 0.5) <= 0.02, "variant A got \(first)")
        #expect(split == phones.map { VariantSplit.variant(campaign: "diwali-ab", phone: $0, shares: [50, 50]) })
        let uneven = phones.map { VariantSplit.variant(campaign: "diwali-ab", phone: $0, shares: [20, 30, 50]) }
        for (i, share) in [0.2, 0.3, 0.5].enumerated() {
            #expect(abs(Double(uneven.count { $0 == i }) / 10_000 - share) <= 0.02)
        }
        // Another campaign splits the same people differently.
        let other = phones.map { VariantSplit.variant(campaign: "spring-ab", phone: $0, shares: [50, 50]) }
        #expect(zip(split, other).count { $0 != $1 } > 4_000)
    }

    @Test func bothVariantsGoAndTheVariantsSheetMatchesTheSandbox() async throws {
        var script = SandboxScript()
        script.unreadShare = 0.4
        script.statusDelay = .milliseconds(20)
        let p = try CampaignFlowTests.Pipeline(contacts: 300, script: script, webhooks: true)
        let manifest = try p.manifest(
            #"{"id": "ab", "audience": {"all": true}, "variants": [{"template": {"name": "offer_a", "language": "en"}, "share": 50}, {"template": {"name": "offer_b", "language": "en"}, "variables": {"body": ["{name}"]}, "share": 50}]}"#
        )
        let plan = try await p.planner.plan(manifest, sourceFile: "ab.json")
        #expect(plan.queued == 300)
        try await p.running(p.dispatcher(rate: "3000/min", pairSpacing: .zero)) {
            // Every status the sandbox will send is in the log (a read after its delivery too).
            let settled = try await eventually(timeout: 60) {
                let records = await p.sandbox.records()
                let logged = Dictionary(uniqueKeysWithValues: p.ledger().records(campaign: "ab").map { ($0.job, $0.status.rawValue) })
                return records.count == 300 && records.allSatisfy { logged[$0.callbackData ?? ""] == $0.finalStatus }
            }
            #expect(settled)
        }
        let records = await p.sandbox.records()
        // Each number got the variant its hash gives, with that variant's variables.
        for r in records {
            let v = VariantSplit.variant(campaign: "ab", phone: r.to, shares: [50, 50])
            #expect(r.template == (v == 0 ? "offer_a" : "offer_b"))
        }
        // Sent interleaved: each variant is among the first 30 sends.
        #expect(Set(records.prefix(30).map(\.template)) == ["offer_a", "offer_b"])

        let scope = ReportScope(
            campaign: "ab",
            campaigns: [
                "ab": .init(
                    id: "ab",
                    name: "",
                    template: "offer_a",
                    language: "en",
                    createdAt: nil,
                    variants: [.init(template: "offer_a", language: "en", share: 50), .init(template: "offer_b", language: "en", share: 50)]
                )
            ]
        )
        let path = p.dir.url.appendingPathComponent("ab.xlsx")
        try CampaignReport(ledger: MessageLedger(selection: .forReport(in: p.home.log, campaign: "ab", from: nil, to: nil)), scope: scope).write(
            to: path
        )
        let sheet = try #require(try await readXLSX(path.path)["Variants"])
        #expect(sheet.count == 3)
        var expected: [(n: Int, delivered: Int, read: Int)] = []
        for name in ["offer_a", "offer_b"] {
            let mine = records.filter { $0.template == name }
            expected.append(
                (mine.count, mine.count { $0.finalStatus == "read" || $0.finalStatus == "delivered" }, mine.count { $0.finalStatus == "read" })
            )
        }
        for (i, row) in sheet.dropFirst().enumerated() {
            #expect(row[0] == ["A", "B"][i])
            #expect(Int(row[3]) == expected[i].n)
            #expect(Int(row[5]) == expected[i].delivered)
            #expect(Int(row[6]) == expected[i].read)
        }
        // The p-value against Python's own erfc over the same counts.
        let (a, b) = (expected[0], expected[1])
        let reference = try await runProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import math
                x1, n1, x2, n2 = \(b.read), \(b.delivered), \(a.read), \(a.delivered)
                p = (x1 + x2) / (n1 + n2)
                z = (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
                print(repr(math.erfc(abs(z) / math.sqrt(2))))
                """,
            ]
        )
        let pValue = try #require(Double(sheet[2][11]))
        let expectedP = try #require(Double(reference.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(abs(pValue - expectedP) < 1e-12, "\(pValue) vs \(expectedP)")
        #expect(sheet[2][12] == (expectedP < 0.05 ? "yes" : "no"))
        // `wabulk report --campaign ab` builds the same sheet from the campaign's record.
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = p.home.root.path
        let cli = p.dir.url.appendingPathComponent("cli.xlsx")
        let run = try await runProcess(wabulkBinary, ["report", "--campaign", "ab", "--out", cli.path], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try await readXLSX(cli.path)["Variants"] == sheet)
    }

    /// `winnerAfter` + `holdout`: a sample first, then the rest with the variant read more.
    @Test func aTestOnASampleSendsTheRestTheWinner() async throws {
        let rig = try RecurringTests.Rig()
        try rig.add(1...1000)
        let manifest = try ManifestReader.read(
            Data(
                #"{"id": "ab", "audience": {"tags": ["weekly"]}, "winnerAfter": "6h", "holdout": 80, "variants": [{"template": {"name": "offer_a", "language": "en"}, "share": 50}, {"template": {"name": "offer_b", "language": "en"}, "share": 50}]}"#
                    .utf8
            ),
            fileName: "ab.json"
        )
        let test = try await rig.planner.plan(manifest, sourceFile: "ab.json")
        let sample = rig.queued("ab")
        #expect(test.queued == sample.count)
        #expect(sample.count > 150 && sample.count < 250, "\(sample.count) in the sample")
        // Meta's word on the sample: every message delivered, variant B's read.
        let jobs = MessageLedger(logDirectory: rig.home.log).records(campaign: "ab")
        var lines: [MessageEvent] = []
        for job in jobs {
            let phone = try #require(job.phone)
            let b = VariantSplit.variant(campaign: "ab", phone: phone, shares: [50, 50]) == 1
            for status in b ? [MessageStatus.sent, .delivered, .read] : [.sent, .delivered] {
                lines.append(
                    MessageEvent(time: Date(), status: status, campaign: "ab", job: job.job, phone: phone, wamid: "w-\(job.job)", source: "webhook")
                )
            }
        }
        try await rig.events.append(lines)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let picker = WinnerPicker(planner: rig.planner, spoolDirectory: rig.home.spool, logger: logger)
        let planned = try #require(Timestamp.parse("2026-12-06T04:30:00.000Z"))
        #expect(await picker.pickDue(now: planned.addingTimeInterval(5 * 3600)) == [])
        #expect(await picker.pickDue(now: planned.addingTimeInterval(6 * 3600)) == ["ab--rest"])
        #expect(await picker.pickDue(now: planned.addingTimeInterval(7 * 3600)) == [])
        #expect(CampaignRecord.load("ab", in: rig.home.campaigns)?.winner == 1)
        let rest = try #require(CampaignRecord.load("ab--rest", in: rig.home.campaigns))
        #expect(rest.manifest.template.name == "offer_b")
        #expect(rest.manifest.variants == nil)
        // Everyone once: the sample and the rest split the audience.
        let restPhones = rig.queued("ab--rest")
        #expect(restPhones.isDisjoint(with: sample))
        #expect(restPhones.count + sample.count == 1000)
    }

    @Test func aSampledTestIsCheckedFieldByField() {
        let variants = #"[{"template": {"name": "a", "language": "en"}, "share": 50}, {"template": {"name": "b", "language": "en"}, "share": 50}]"#
        func problems(_ extra: String, withVariants: Bool = true) -> [String] {
            let body = withVariants ? #""variants": \#(variants)"# : #""template": {"name": "a", "language": "en"}"#
            let json = #"{"id": "s", "audience": {"all": true}, \#(body), \#(extra)}"#
            do {
                _ = try ManifestReader.read(Data(json.utf8), fileName: "s.json")
                return []
            } catch { return error.problems.map { "\($0.field): \($0.reason)" } }
        }
        #expect(problems(#""winnerAfter": "6h", "holdout": 80"#) == [])
        #expect(
            problems(#""winnerAfter": "soon", "holdout": 100"#) == [
                "holdout: must be a whole percent from 1 to 99", "winnerAfter: \"soon\" is not a duration like 6h or 1d",
            ]
        )
        #expect(problems(#""winnerAfter": "6h""#) == ["holdout: winnerAfter and holdout go together"])
        #expect(problems(#""winnerAfter": "6h", "holdout": 80"#, withVariants: false) == ["winnerAfter: only goes with variants"])
    }

    @Test func variantsAreCheckedFieldByField() {
        func problems(_ variants: String) -> [String] {
            let json = #"{"id": "v", "audience": {"all": true}, "variants": \#(variants)}"#
            do {
                _ = try ManifestReader.read(Data(json.utf8), fileName: "v.json")
                return []
            } catch { return error.problems.map { "\($0.field): \($0.reason)" } }
        }
        #expect(
            problems(#"[{"template": {"name": "a", "language": "en"}, "share": 60}, {"template": {"name": "b", "language": "en"}, "share": 40}]"#)
                == []
        )
        #expect(problems(#"[{"template": {"name": "a", "language": "en"}, "share": 100}]"#) == ["variants: must be a list of 2 to 5 variants"])
        #expect(
            problems(#"[{"template": {"name": "a", "language": "en"}, "share": 60}, {"template": {"name": "b"}, "share": 30, "colour": 1}]"#) == [
                "variants[1].colour: unknown key", "variants[1].template: needs a name and a language", "variants: shares add up to 90, not 100",
            ]
        )
    }
}
