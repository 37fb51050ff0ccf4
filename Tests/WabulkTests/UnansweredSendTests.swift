import CloudAPI
import EventLog
import Foundation
import Sandbox
import Sending
import Spool
import Testing
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// A send whose answer never comes may still have reached Meta: it is settled by its webhook, or sent
/// again only after the reconcile window, never at once (the send API has no idempotency key).
@Suite(.serialized) struct UnansweredSendTests {
    typealias Pipeline = CampaignFlowTests.Pipeline

    func dispatcher(_ p: Pipeline, rate: String, clientTimeout: Double, window: Duration, resend: Bool = true) -> Dispatcher {
        var options = Dispatcher.Options(
            rate: SendRate(parsing: rate)!,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), jitter: 0),
            concurrency: 2,
            idlePoll: .milliseconds(20),
            pairSpacing: .zero
        )
        options.reconcileWindow = window
        options.resendUnsettled = resend
        return Dispatcher(
            spool: p.spool,
            spoolDirectory: p.home.spool,
            events: p.events,
            eventsDirectory: p.home.log,
            client: CloudAPIClient(
                baseURL: "http://127.0.0.1:\(p.sandboxPort)",
                version: "v23.0",
                phoneNumberID: "1",
                token: Secret("t"),
                timeout: clientTimeout
            ),
            options: options,
            logger: p.logger
        )
    }

    func plan(_ p: Pipeline, phones: [String]) async throws {
        let list = phones.map { "\"\($0)\"" }.joined(separator: ",")
        _ = try await p.planner.plan(
            try p.manifest(#"{"id": "s", "template": {"name": "t", "language": "en"}, "audience": {"phones": [\#(list)]}}"#),
            sourceFile: "s.json"
        )
    }

    func events(_ p: Pipeline, job: String) -> [MessageEvent] {
        EventLogReader(directory: p.home.log).readAll().events.filter { $0.job == job }
    }

    @Test func aLateAnswerIsSettledByItsWebhookAndALostSendGoesAgainOnlyAfterTheWindow() async throws {
        var script = SandboxScript()
        // A: taken and dropped, answered after 3 s. B, sent a second later: sent, with its webhooks, but
        // answered after 3 s too. The client waits 1.5 s.
        script.lateAnswers = [
            .init(phone: "+919876500001", delay: .seconds(3), times: 1, lost: true),
            .init(phone: "+919876500002", delay: .seconds(3), times: 1),
        ]
        script.statusDelay = .milliseconds(100)
        let p = try Pipeline(contacts: 3, script: script, webhooks: true)
        try await plan(p, phones: ["+919876500001", "+919876500002", "+919876500003"])
        try await p.running(dispatcher(p, rate: "1/s", clientTimeout: 1.5, window: .seconds(4))) {
            // B's webhooks came in while its request still waited; A's time-out had the follower reading
            // the log by then, so B's lines were passed over once and must be found again.
            let bSettled = try await eventually { p.ledger().messages["s.0000002"]?.status.isFinal == true }
            #expect(bSettled)
            let done = try await eventually(timeout: 30) {
                Spool.depth(in: p.home.spool).total == 0 && CampaignCounts(p.ledger().records(campaign: "s")).pending == 0
            }
            #expect(done)
            try await Task.sleep(for: .seconds(1))  // anything sent twice would be in by now
        }
        let records = await p.sandbox.records()
        let byPhone = Dictionary(grouping: records, by: \.to)
        #expect(byPhone["+919876500002"]?.map(\.outcome) == ["accepted"])
        #expect(byPhone["+919876500003"]?.map(\.outcome) == ["accepted"])
        #expect(byPhone["+919876500001"]?.map(\.outcome) == ["lost", "accepted"])
        #expect(records.filter { $0.outcome == "accepted" }.count == 3)

        let b = events(p, job: "s.0000002").filter { $0.source == "dispatch" }
        #expect(b.map(\.status) == [.sending, .sending])
        #expect(b.last?.errorTitle == "no answer")
        #expect(b.last?.reason == "the request may have reached Meta: waiting up to 4.0 seconds for its webhook before sending again")
        let a = events(p, job: "s.0000001").filter { $0.source == "dispatch" }
        #expect(a.map(\.status) == [.sending, .sending, .deferred, .sending, .sent])
        #expect(a[2].reason == "no webhook about it within 4.0 seconds: sending again")
        if a.count == 5 {
            // Sent again only when the whole window has passed since the answer was given up on.
            let waited = a[2].date!.timeIntervalSince(a[1].date!)
            #expect(waited >= 3.99, "sent again after \(waited) s")
        }
        #expect(p.ledger().messages["s.0000001"]?.attempts == 2)
        #expect(p.ledger().messages["s.0000002"]?.attempts == 1)
    }

    @Test func withHoldALostSendIsRecordedAsUnknownNotSentAgain() async throws {
        var script = SandboxScript()
        script.lateAnswers = [.init(phone: "+919876500001", delay: .seconds(2), lost: true)]
        let p = try Pipeline(contacts: 1, script: script, webhooks: true)
        try await plan(p, phones: ["+919876500001"])
        try await p.running(dispatcher(p, rate: "10/s", clientTimeout: 0.5, window: .seconds(1), resend: false)) {
            let failed = try await eventually { p.ledger().messages["s.0000001"]?.status == .failed }
            #expect(failed)
            try await Task.sleep(for: .seconds(1))
        }
        #expect(await p.sandbox.records().map(\.outcome) == ["lost"])
        let message = p.ledger().messages["s.0000001"]
        #expect(message?.errorTitle == "outcome unknown")
        #expect(message?.reason == "Meta did not answer; not resent (afterReconcile = hold)")
        #expect(Spool.depth(in: p.home.spool) == Spool.Depth(failed: 1))
    }

    @Test func aCrashsInFlightJobIsSettledByItsWebhookBeforeTheWindowOrHeldAsUnknown() async throws {
        let p = try Pipeline(contacts: 2)
        try await plan(p, phones: ["+919876500001", "+919876500002"])
        // As a crash leaves them: both claimed, each with its `sending` event and no outcome.
        for _ in 0..<2 {
            let job = try #require(try await p.spool.claimNext(now: Date()))
            try await p.events.append(
                MessageEvent(time: Date(), status: .sending, campaign: "s", job: job.id, phone: job.phone, attempt: 1, source: "dispatch")
            )
        }
        try await p.running(dispatcher(p, rate: "10/s", clientTimeout: 5, window: .seconds(8), resend: false)) {
            try await Task.sleep(for: .milliseconds(300))
            // Meta redelivers the first one's webhook, as the listener logs it.
            try await p.events.append(
                MessageEvent(
                    time: Date(),
                    status: .delivered,
                    job: "s.0000001",
                    wamid: "wamid.x",
                    metaTime: Int(Date().timeIntervalSince1970),
                    source: "webhook"
                )
            )
            // The first one gone while the second still waits: settled by its webhook, not by the 8 s window.
            let settled = try await eventually(timeout: 5) { Spool.depth(in: p.home.spool) == Spool.Depth(active: 1) }
            #expect(settled)
            let held = try await eventually(timeout: 15) { p.ledger().messages["s.0000002"]?.status == .failed }
            #expect(held)
        }
        #expect(await p.sandbox.records().isEmpty)
        #expect(Spool.depth(in: p.home.spool) == Spool.Depth(failed: 1))
        let second = p.ledger().messages["s.0000002"]
        #expect(second?.errorTitle == "outcome unknown")
        #expect(second?.reason == "may have been sent before a crash; not resent (afterReconcile = hold)")
        #expect(second?.attempts == 1)
        #expect(p.ledger().messages["s.0000001"]?.status == .delivered)
    }

    /// A one-connection HTTP peer on loopback: reads the request's head, then answers `reply` (or nothing)
    /// and closes. Returns the port.
    static func oneShotPeer(reply: String?) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        let port = Int(UInt16(bigEndian: address.sin_port))
        Thread {
            let client = accept(fd, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 65536)
            var got: [UInt8] = []
            // Until the body has come too (the client sends it right after the head).
            while !(String(decoding: got, as: UTF8.self).contains("\r\n\r\n{")) {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                got += buffer[0..<n]
            }
            if let reply { _ = reply.withCString { write(client, $0, strlen($0)) } }
            close(client)
            close(fd)
        }.start()
        return port
    }

    @Test func aDroppedConnectionAndA504AreUnansweredARefusedOneIsNot() async throws {
        func send(to port: Int) async -> SendOutcome {
            await CloudAPIClient(baseURL: "http://127.0.0.1:\(port)", version: "v23.0", phoneNumberID: "1", token: Secret("t"), timeout: 5)
                .send(TemplateMessage(to: "+919876500001", templateName: "t", language: "en"))
        }
        // The request was read, then the connection closed with no answer: Meta may have it.
        guard case .unanswered = await send(to: try Self.oneShotPeer(reply: nil)) else {
            Issue.record("a dropped answer is unanswered")
            return
        }
        let gateway = await send(to: try Self.oneShotPeer(reply: "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
        #expect(gateway == .unanswered("HTTP 504 without Meta's error body"))
        // A 503 from the same kind of gateway: the request was refused, not lost.
        let refusedByGateway = await send(
            to: try Self.oneShotPeer(reply: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        )
        #expect(refusedByGateway == .transportFailure("HTTP 503 without Meta's error body", httpStatus: 503, retryAfter: nil))
        // A 200 whose body is not Meta's answer (cut short, a proxy's page): Meta may have it.
        let garbled = await send(
            to: try Self.oneShotPeer(reply: "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"messaging_pro")
        )
        #expect(garbled == .unanswered("HTTP 200 without a message id in the answer"))
        // Nobody listening: the request never left.
        guard case .transportFailure(_, nil, nil) = await send(to: freePort()) else {
            Issue.record("a refused connection is a transport failure")
            return
        }
    }
}
