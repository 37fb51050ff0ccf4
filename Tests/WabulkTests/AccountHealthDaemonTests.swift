import Curl
import Foundation
import Testing
import WabulkBase

/// Meta changing the account while a campaign sends, end to end: the real daemon and the real sandbox
/// (separate processes, loopback HTTP), the sandbox posting Meta's three account webhooks on command and
/// enforcing its own messaging limit.
@Suite(.serialized) struct AccountHealthDaemonTests {
    typealias Rig = SuppressionFlowTests.Rig

    static func phone(_ i: Int) -> String { "+9198766\(String(format: "%05d", i))" }

    /// Tells the sandbox to post an account webhook; returns the listener's answer and when it came.
    static func metaSays(_ rig: Rig, _ command: String) async throws -> (status: Int, at: Date) {
        let answer = try await rig.http.perform(
            HTTPRequest(method: "POST", url: "http://127.0.0.1:\(rig.sandboxPort)/sandbox/account-update", body: Array(command.utf8))
        )
        let at = Date()
        let json = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
        return (json?["listenerStatus"] as? Int ?? -1, at)
    }

    /// The sandbox's record: accepted sends per campaign, with the time each arrived.
    static func accepted(_ rig: Rig, campaign: String) async -> [Date] {
        await rig.records().filter { ($0["callbackData"] as? String)?.hasPrefix(campaign + ".") == true && $0["outcome"] as? String == "accepted" }
            .compactMap { ($0["time"] as? String).flatMap(Timestamp.parse) }
    }

    @Test func aRaisedLimitReleasesAFlagHoldsMarketingAViolationHoldsAllAndResumeLiftsThem() async throws {
        let rig = try Rig(
            sandboxArguments: ["--messaging-limit", "3"],
            settings: ["WHATSAPP_BUSINESS_ACCOUNT_ID": "102290129340398", "WABULK_RATE": "120/min"]
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        defer { rig.daemon.stop() }
        #expect(try await rig.wabulk(["templates", "sync"]).status == 0)
        try rig.drop("contacts.csv", "Name,Phone\n" + (1...40).map { "P\($0),\(Self.phone($0))" }.joined(separator: "\n") + "\n")
        try rig.daemon.start()
        #expect(try await eventually { rig.receipt("contacts.csv") != nil })
        // The daemon reads the limit of 3 from the sandbox's phone number fields.
        let accountFile = rig.home.appendingPathComponent("var/account.json")
        #expect(try await eventually { (try? String(contentsOf: accountFile, encoding: .utf8))?.contains(#""messagingLimit" : 3"#) == true })
        try rig.drop(
            "promo.json",
            #"{"id": "promo", "template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}", "20%"]}}"#
        )

        // The receipt warns how long the limit spreads it: 37 people over the 3 left, 3 a day more.
        #expect(try await eventually { rig.receipt("promo.json") != nil })
        let warning = try #require((rig.receipt("promo.json")?["warnings"] as? [String])?.first)
        let prefix =
            "messaging limit: this campaign reaches 40 people not messaged in the last 24 hours, and 3 of the limit of 3 are left (0 used); at this limit its last messages go about "
        #expect(warning.hasPrefix(prefix), "\(warning)")
        let finish = try #require(Timestamp.parse(String(warning.dropFirst(prefix.count).prefix { $0 != "," })))
        #expect(abs(finish.timeIntervalSinceNow - 13 * 86_400) < 60)
        // Five more people with "onLimit": "refuse": refused, the 40 waiting in promo counted ahead of them.
        let others = (41...45).map { "\"\(Self.phone($0))\"" }.joined(separator: ", ")
        try rig.drop(
            "promo-strict.json",
            #"{"id": "strict", "template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"phones": [\#(others)]}, "variables": {"body": ["{phone}", "20%"]}, "onLimit": "refuse"}"#
        )
        #expect(try await eventually { rig.receipt("promo-strict.json") != nil })
        let refused = try #require(rig.receipt("promo-strict.json"))
        #expect(refused["outcome"] as? String == "rejected")
        let problem = try #require((refused["problems"] as? [[String: Any]])?.first)
        #expect(problem["field"] as? String == "onLimit")
        let reason = try #require(problem["reason"] as? String)
        // Sending may have begun: the 40 are some used, the rest waiting; either way 45 people go before the last of
        // these, 3 now and 3 a day after: about 14 days.
        #expect(
            reason.hasPrefix("messaging limit: this campaign reaches 5 people not messaged in the last 24 hours, and 0 of the limit of 3 are left (")
                && reason.hasSuffix("the rest waiting as the window frees; refused as onLimit is refuse"),
            "\(reason)"
        )
        let strictFinish = try #require(
            reason.range(of: "go about ").flatMap { Timestamp.parse(String(reason[$0.upperBound...].prefix { $0 != "," })) }
        )
        #expect(abs(strictFinish.timeIntervalSinceNow - 14 * 86_400) < 60)

        // 1. Three people reached, the rest wait for the window with the reason.
        #expect(
            try await eventually(timeout: 20) {
                let waiting = try rig.events().contains {
                    $0["campaign"] as? String == "promo"
                        && ($0["reason"] as? String)?.hasPrefix("messaging limit: 3 of 3 used; next free at ") == true
                }
                return await Self.accepted(rig, campaign: "promo").count == 3 && waiting
            }
        )
        // Meta raises the limit: the held messages go at once.
        let raised = try await Self.metaSays(rig, #"{"field": "business_capability_update", "limit": 2000}"#)
        #expect(raised.status == 200)
        #expect(try await eventually(timeout: 10) { await Self.accepted(rig, campaign: "promo").count >= 4 })
        let fourth = await Self.accepted(rig, campaign: "promo").sorted()[3]
        // The follower sees the webhook within 250 ms, the dispatcher the new limit within 2 s; the rest is for a busy
        // machine. Without the release the held messages would wait a day.
        #expect(fourth.timeIntervalSince(raised.at) < 5, "the first held message went \(fourth.timeIntervalSince(raised.at)) s after the 200")
        #expect(try await eventually(timeout: 10) { await Self.accepted(rig, campaign: "promo").count >= 6 })

        // 2. Meta flags the number's quality: no marketing send arrives later than a second after the 200.
        let flagged = try await Self.metaSays(rig, #"{"field": "phone_number_quality_update", "event": "FLAGGED"}"#)
        #expect(flagged.status == 200)
        try await Task.sleep(for: .seconds(3))
        let promoAtFlag = await Self.accepted(rig, campaign: "promo")
        #expect(promoAtFlag.filter { $0 > flagged.at.addingTimeInterval(1) }.isEmpty, "\(promoAtFlag) flagged at \(flagged.at)")
        #expect(promoAtFlag.count < 40)
        let status = try await rig.wabulk(["status"])
        #expect(status.stdout.contains("MARKETING HELD since "), "\(status.stdout)")
        #expect(status.stdout.contains("Meta flagged the number's quality (phone_number_quality_update FLAGGED)"))
        // Utility messages go on meanwhile.
        try rig.drop(
            "notice.json",
            #"{"id": "notice", "template": {"name": "feedback_request", "language": "en_GB"}, "audience": {"phones": ["\#(Self.phone(1))", "\#(Self.phone(2))"]}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually(timeout: 15) { await Self.accepted(rig, campaign: "notice").count == 2 })
        #expect(await Self.accepted(rig, campaign: "promo").count == promoAtFlag.count)

        // 3. An account violation holds everything, utility too.
        let violation = try await Self.metaSays(rig, #"{"field": "account_update", "event": "ACCOUNT_VIOLATION", "violation": "SCAM"}"#)
        #expect(violation.status == 200)
        try rig.drop(
            "notice2.json",
            #"{"id": "notice2", "template": {"name": "feedback_request", "language": "en_GB"}, "audience": {"phones": ["\#(Self.phone(3))"]}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually { rig.receipt("notice2.json") != nil })
        try await Task.sleep(for: .seconds(3))
        #expect(
            await rig.records().filter { ($0["time"] as? String).flatMap(Timestamp.parse).map { $0 > violation.at.addingTimeInterval(1) } ?? false }
                .isEmpty
        )
        let paused = try await rig.wabulk(["status"])
        #expect(
            paused.stdout.contains("SENDING PAUSED since ")
                && paused.stdout.contains("Meta reported ACCOUNT_VIOLATION on the business account (violation: SCAM): all sending is held"),
            "\(paused.stdout)"
        )

        // 4. The operator resumes: both holds go, everything left is sent once, and Meta refused nothing.
        let resume = try await rig.wabulk(["resume"])
        #expect(resume.stdout == "resumed\n")
        #expect(
            try await eventually(timeout: 40) {
                let promo = await Self.accepted(rig, campaign: "promo").count
                let notice2 = await Self.accepted(rig, campaign: "notice2").count
                return promo == 40 && notice2 == 1
            }
        )
        let records = await rig.records()
        #expect(records.filter { $0["outcome"] as? String != "accepted" }.isEmpty)

        // The campaign's report tells what Meta said about the account while it went, in order.
        let report = try await rig.wabulk(["report", "--campaign", "promo", "--json"])
        let written = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let summary = try #require(try await readXLSX(written["path"] as! String)["Summary"])
        let start = try #require(summary.firstIndex { $0.first == "Account (Meta)" })
        #expect(
            summary[(start + 1)...].compactMap { $0.count > 1 ? $0[1] : nil } == [
                "phone_number: messaging limit 3 (quality: GREEN) [read from the phone number]",
                "business_capability_update: messaging limit 2000",
                "phone_number_quality_update FLAGGED: messaging limit 2000 (limit: TIER_2K)",
                "account_update ACCOUNT_VIOLATION (violation: SCAM)",
            ]
        )
        #expect(Set(records.filter { ($0["callbackData"] as? String)?.hasPrefix("promo.") == true }.map { $0["to"] as! String }).count == 40)
    }
}
