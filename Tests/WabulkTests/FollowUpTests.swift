import Campaigns
import CloudAPI
import Contacts
import EventLog
import Foundation
import Sandbox
import Spool
import Testing
import WabulkBase

/// Follow-ups from a campaign's outcome (issue 23): the people are read from the event log's fold of the
/// earlier campaign, as the sandbox and its webhooks left it.
@Suite struct FollowUpTests {
    @Test func aFollowUpToTheUnreadReachesExactlyThemLessRepliersAndOptOuts() async throws {
        var script = SandboxScript()
        script.unreadShare = 0.4
        script.statusDelay = .milliseconds(20)
        let phone = { (n: Int) in "+9198765\(String(format: "%05d", n))" }
        // Permanent (131026) and transient (131000, 130429) failures, each on its own numbers.
        // (The sandbox names numbers as Meta's `to` digits, without the plus.)
        let digits = { (n: Int) in String(phone(n).dropFirst()) }
        script.failures =
            (1...4).map { .init(target: .phone(digits($0)), code: 131026) } + (5...7).map { .init(target: .phone(digits($0)), code: 131000) }
            + (8...9).map { .init(target: .phone(digits($0)), code: 130429) }
        let p = try CampaignFlowTests.Pipeline(contacts: 120, script: script, webhooks: true)
        let first = try p.manifest(#"{"id": "first", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#)
        _ = try await p.planner.plan(first, sourceFile: "first.json")
        try await p.running(p.dispatcher(rate: "3000/min", pairSpacing: .zero, maxAttempts: 1)) {
            // Settled: 111 accepted and their last status in; 9 failed at the send.
            // Every status the sandbox will send is in the log (a read after its delivery too).
            let settled = try await eventually(timeout: 60) {
                let records = await p.sandbox.records().filter { $0.outcome == "accepted" }
                guard records.count == 111 else { return false }
                let logged = Dictionary(uniqueKeysWithValues: p.ledger().records(campaign: "first").map { ($0.job, $0.status.rawValue) })
                return logged.count == 120 && logged.values.count { $0 == "failed" } == 9
                    && records.allSatisfy { logged[$0.callbackData ?? ""] == $0.finalStatus }
            }
            #expect(settled)
        }
        let records = await p.sandbox.records().filter { $0.outcome == "accepted" }
        let unread = records.filter { $0.finalStatus == "delivered" }.map(\.to).sorted()
        let read = records.filter { $0.finalStatus == "read" }.count
        // About 40% of the delivered go unread (by a hash of the number).
        #expect(unread.count > 25 && unread.count < 65)
        #expect(unread.count + read == 111)

        // Three of the unread replied, two opted out (by a STOP the follower recorded).
        let repliers = Array(unread.prefix(3))
        for r in repliers {
            try await p.events.append(MessageEvent(kind: .inbound, time: Date(), phone: r, reason: "what offer?", source: "webhook"))
        }
        let optedOut = Array(unread.dropFirst(3).prefix(2))
        let recorder = OptOutRecorder(registry: p.registry, spoolDirectory: p.home.spool, events: p.events)
        _ = try await recorder.record(optedOut.map { PreferenceChange(phone: $0, optedOut: true, scope: .all, source: "test", at: Date()) })

        let planner = CampaignPlanner(
            registry: p.registry,
            normalizer: try PhoneNormalizer(defaultCountry: "91"),
            spool: p.spool,
            events: p.events,
            campaignsDirectory: p.home.campaigns,
            logDirectory: p.home.log
        )
        let followUp = try p.manifest(
            #"{"id": "nudge", "template": {"name": "t", "language": "en"}, "audience": {"campaign": "first", "outcome": ["delivered-not-read"]}}"#
        )
        let plan = try await planner.plan(followUp, sourceFile: "nudge.json")
        #expect(plan.outcomes == ["delivered-not-read": unread.count])
        #expect(plan.repliedLeftOut == 3)
        #expect(plan.queued == unread.count - 5)
        #expect(plan.skipped == ["opted out": 2])
        let queued = Set(p.ledger().records(campaign: "nudge").filter { $0.status == .queued }.compactMap(\.phone))
        #expect(queued == Set(unread.dropFirst(5)))

        // Repliers kept when asked (a dry run counts without spooling); nobody sent an hour ago yet.
        let keep = try p.manifest(
            #"{"id": "keep", "dryRun": true, "template": {"name": "t", "language": "en"}, "audience": {"campaign": "first", "outcome": ["delivered-not-read"], "excludeReplied": false}}"#
        )
        let kept = try await planner.plan(keep, sourceFile: "keep.json")
        #expect(kept.queued == unread.count - 2)
        #expect(kept.repliedLeftOut == 0)
        let later = try p.manifest(
            #"{"id": "later", "template": {"name": "t", "language": "en"}, "audience": {"campaign": "first", "outcome": ["delivered-not-read"], "after": "1h"}}"#
        )
        #expect(await refusal(planner, later) == ["audience: matches no contact that can be messaged (no message of that campaign ended that way)"])

        // failed-transient: the 131000 and 130429 failures, not the 131026 ones.
        let retry = try p.manifest(
            #"{"id": "again", "template": {"name": "t", "language": "en"}, "audience": {"campaign": "first", "outcome": ["failed-transient"]}}"#
        )
        let again = try await planner.plan(retry, sourceFile: "again.json")
        #expect(again.outcomes == ["failed-transient": 5])
        let retried = Set(p.ledger().records(campaign: "again").compactMap(\.phone))
        #expect(retried == Set((5...9).map(phone)))

        // A follow-up of nothing, or of a campaign that does not exist, is refused with the reason.
        let none = try p.manifest(
            #"{"id": "none", "template": {"name": "t", "language": "en"}, "audience": {"campaign": "first", "outcome": ["sent-not-delivered"]}}"#
        )
        #expect(
            await refusal(planner, none) == ["audience: matches no contact that can be messaged (no message of that campaign ended that way)"]
        )
        let missing = try p.manifest(
            #"{"id": "lost", "template": {"name": "t", "language": "en"}, "audience": {"campaign": "nope", "outcome": ["read"]}}"#
        )
        #expect(await refusal(planner, missing) == ["audience.campaign: there is no earlier campaign \"nope\""])
    }

    /// Why the planner refused a manifest (empty: it was accepted).
    func refusal(_ planner: CampaignPlanner, _ manifest: CampaignManifest) async -> [String] {
        do {
            _ = try await planner.plan(manifest, sourceFile: "\(manifest.id).json")
            return []
        } catch {
            guard case .rejected(let r) = error else { return ["\(error)"] }
            return r.problems.map { "\($0.field): \($0.reason)" }
        }
    }

    /// The real daemon and sandbox: a campaign, then a follow-up dropped into inbox/ for whoever did not read it,
    /// which reaches exactly them.
    @Test func theDaemonSendsTheFollowUpToExactlyTheUnread() async throws {
        let rig = try SuppressionFlowTests.Rig(sandboxArguments: ["--unread-share", "0.4"], settings: ["WABULK_RATE": "1200/min"])
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()
        defer { rig.daemon.stop() }
        try rig.drop(
            "contacts.csv",
            "Name,Phone\n" + (1...30).map { "Person \($0),\(SuppressionFlowTests.phone($0))" }.joined(separator: "\n") + "\n"
        )
        try rig.drop(
            "first.json",
            #"{"id": "first", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
        )
        // Every final status the sandbox sends is in the daemon's log.
        let settled = try await eventually(timeout: 60) {
            let records = await rig.records()
            guard records.count == 30, let events = try? rig.events() else { return false }
            let logged = Set(
                events.compactMap { e -> String? in
                    guard let job = e["job"] as? String, let status = e["status"] as? String else { return nil }
                    return "\(job) \(status)"
                }
            )
            return records.allSatisfy { logged.contains("\($0["callbackData"] as? String ?? "") \($0["finalStatus"] as? String ?? "")") }
        }
        #expect(settled, "\(rig.daemonLog())")
        let first = await rig.records()
        let unread = Set(first.filter { $0["finalStatus"] as? String == "delivered" }.compactMap { $0["to"] as? String })
        #expect(unread.count > 4 && unread.count < 20)
        try rig.drop(
            "nudge.json",
            #"{"id": "nudge", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"campaign": "first", "outcome": ["delivered-not-read"]}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually { rig.receipt("nudge.json") != nil })
        #expect((rig.receipt("nudge.json")?["message"] as? String)?.hasSuffix("follow-up of first: \(unread.count) delivered-not-read") == true)
        #expect(try await eventually(timeout: 60) { await rig.records().count == 30 + unread.count })
        try await Task.sleep(for: .seconds(1))
        let second = await rig.records().dropFirst(30)
        #expect(second.count == unread.count)
        #expect(Set(second.compactMap { $0["to"] as? String }) == unread)
        #expect(second.allSatisfy { ($0["callbackData"] as? String)?.hasPrefix("nudge.") == true })
    }

    /// The real daemon: a welcome campaign greets a contact imported after it once, however often the file is
    /// dropped again; a daily campaign's occurrence is planned and sent when its minute comes.
    @Test func theDaemonGreetsNewcomersOnceAndSendsADailyOccurrence() async throws {
        let rig = try SuppressionFlowTests.Rig(sandboxArguments: [], settings: ["WABULK_RATE": "1200/min", "WABULK_CAMPAIGN_SCAN_SECONDS": "0.2"])
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()
        defer { rig.daemon.stop() }
        try rig.drop(
            "contacts.csv",
            "Name,Phone,Tags\n" + (1...3).map { "Person \($0),\(SuppressionFlowTests.phone($0)),member" }.joined(separator: "\n") + "\n"
        )
        #expect(try await eventually { rig.receipt("contacts.csv") != nil })
        // The next whole minute (UTC) at least 40 s away: the manifests and the newcomer are in before it.
        let next = Date(timeIntervalSince1970: ((Date().timeIntervalSince1970 + 40) / 60).rounded(.up) * 60)
        let at = String(Timestamp.format(next).dropFirst(11).prefix(5))
        try rig.drop(
            "welcome.json",
            #"{"id": "welcome", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"tags": ["member"]}, "trigger": "contact-added", "variables": {"body": ["{name}"]}}"#
        )
        try rig.drop(
            "daily.json",
            #"{"id": "daily", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"tags": ["member"]}, "repeat": {"every": "day", "at": "\#(at)", "timezone": "UTC"}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually { rig.receipt("welcome.json") != nil && rig.receipt("daily.json") != nil })
        #expect((rig.receipt("daily.json")?["message"] as? String)?.contains("first occurrence at \(Timestamp.format(next))") == true)
        // A newcomer, then the same file again and the person tagged again: one greeting.
        let newcomer = SuppressionFlowTests.phone(4)
        try rig.drop("more.csv", "Name,Phone,Tags\nPerson 4,\(newcomer),member\n")
        #expect(try await eventually { await rig.records().contains { $0["to"] as? String == newcomer } })
        try rig.drop("more-again.csv", "Name,Phone,Tags\nPerson 4,\(newcomer),\"member, vip\"\n")
        #expect(try await eventually { rig.receipt("more-again.csv") != nil })
        // The daily occurrence: all four members, once each.
        let daily = "daily--\(Timestamp.day(next))"
        #expect(
            // The minute can be up to 100 s away: wait for it, then a minute more.
            try await eventually(timeout: next.timeIntervalSinceNow + 60) {
                await rig.records().count { ($0["callbackData"] as? String)?.hasPrefix(daily + ".") == true } == 4
            },
            "\(rig.daemonLog())"
        )
        let records = await rig.records()
        #expect(records.count { ($0["callbackData"] as? String)?.hasPrefix("welcome--") == true } == 1)
        #expect(records.first { ($0["callbackData"] as? String)?.hasPrefix("welcome--") == true }?["to"] as? String == newcomer)
        #expect(records.count == 5)
    }

    /// Through the inbox: the receipt says what each outcome matched and who was left out for replying.
    @Test func theReceiptCountsEachOutcome() async throws {
        let dir = TempDir()
        let w = try IntakeFixture.watcher(dir.home)
        try Data("Phone,Name\n9876500001,A\n9876500002,B\n9876500003,C\n9876500004,D\n9876500005,E\n9876500006,F\n".utf8)
            .write(to: dir.home.inbox.appendingPathComponent("people.csv"))
        await w.scanOnce()
        try Data(#"{"id": "first", "template": {"name": "t", "language": "en"}, "audience": {"all": true}}"#.utf8)
            .write(to: dir.home.inbox.appendingPathComponent("first.json"))
        await w.scanOnce()
        #expect(try IntakeFixture.receipt(dir.home, "first.json").campaign?.queued == 6)
        // What Meta said: 1–3 delivered, 4 read, 5 failed for good, 6 never sent; 3 replied.
        let jobs = Dictionary(uniqueKeysWithValues: MessageLedger(logDirectory: dir.home.log).records(campaign: "first").map { ($0.phone!, $0.job) })
        let events = EventLogWriter(directory: dir.home.log)
        let t = Date()
        var lines: [MessageEvent] = []
        for n in 1...5 {
            let phone = "+91987650000\(n)"
            lines.append(MessageEvent(time: t, status: .sent, campaign: "first", job: jobs[phone], phone: phone, wamid: "w\(n)", source: "dispatch"))
            let last: MessageStatus = n <= 3 ? .delivered : n == 4 ? .read : .failed
            lines.append(
                MessageEvent(
                    time: t,
                    status: last,
                    job: jobs[phone],
                    phone: phone,
                    wamid: "w\(n)",
                    errorCode: n == 5 ? 131026 : nil,
                    source: "webhook"
                )
            )
        }
        lines.append(MessageEvent(kind: .inbound, time: t.addingTimeInterval(1), phone: "+919876500003", reason: "?", source: "webhook"))
        try await events.append(lines)
        try Data(
            #"{"id": "nudge", "template": {"name": "t", "language": "en"}, "audience": {"campaign": "first", "outcome": ["delivered-not-read", "sent-not-delivered"]}}"#
                .utf8
        ).write(to: dir.home.inbox.appendingPathComponent("nudge.json"))
        await w.scanOnce()
        let r = try IntakeFixture.receipt(dir.home, "nudge.json")
        #expect(r.outcome == .accepted)
        #expect(r.campaign?.queued == 2)
        #expect(r.campaign?.outcomes == ["delivered-not-read": 3])
        #expect(r.campaign?.repliedLeftOut == 1)
        #expect(r.message == "campaign nudge: 2 messages queued, 0 skipped; follow-up of first: 3 delivered-not-read, 1 who replied left out")
        #expect(FileManager.default.fileExists(atPath: dir.home.campaigns.appendingPathComponent("nudge.audience").path))
    }

    @Test func aFollowUpManifestIsCheckedFieldByField() throws {
        func problems(_ audience: String) -> [String] {
            let json = #"{"id": "f", "template": {"name": "t", "language": "en"}, "audience": \#(audience)}"#
            do {
                _ = try ManifestReader.read(Data(json.utf8), fileName: "f.json")
                return []
            } catch { return error.problems.map { "\($0.field): \($0.reason)" } }
        }
        #expect(problems(#"{"campaign": "a", "outcome": ["read", "delivered-not-read"], "after": "48h", "excludeReplied": false}"#) == [])
        #expect(
            problems(#"{"campaign": "a"}"#) == [
                "audience.outcome: is required with \"campaign\": one or more of sent-not-delivered, delivered-not-read, read, failed, failed-transient, not-sent"
            ]
        )
        #expect(
            problems(#"{"campaign": "a", "outcome": ["opened"], "after": "2 days"}"#) == [
                "audience.outcome: \"opened\" is not one of sent-not-delivered, delivered-not-read, read, failed, failed-transient, not-sent",
                "audience.after: \"2 days\" is not a duration like 48h, 30m or 2d",
            ]
        )
        #expect(problems(#"{"all": true, "outcome": ["read"]}"#) == ["audience.outcome: only goes with \"campaign\": \"ID\" (a follow-up)"])
        #expect(problems(#"{"campaign": "../../secrets", "outcome": ["read"]}"#) == ["audience.campaign: \"../../secrets\" is not a campaign id"])
        #expect(
            problems(#"{"campaign": "a", "tags": ["x"], "outcome": ["read"]}"#) == [
                "audience: needs exactly one of \"all\": true, \"tags\": [...], \"phones\": [...] or \"campaign\": \"ID\""
            ]
        )
    }
}
