import EventLog
import Foundation
import Logging
import Reports
import Testing
import WabulkBase

/// A real SMTP server process (aiosmtpd) on loopback takes the report mail; Python's email package reads
/// it back: subject, recipients, summary, and the attachment byte for byte.
@Suite struct ReportMailTests {
    static let server = """
        import asyncio, json, os, sys, time
        from aiosmtpd.controller import Controller
        out = sys.argv[2]
        class Keep:
            async def handle_DATA(self, server, session, envelope):
                n = len(os.listdir(out))
                with open(os.path.join(out, f"mail{n}.eml"), "wb") as f: f.write(envelope.original_content)
                with open(os.path.join(out, f"mail{n}.json"), "w") as f:
                    json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
                return "250 OK"
        c = Controller(Keep(), hostname="127.0.0.1", port=int(sys.argv[1]))
        c.start()
        print("ready", flush=True)
        time.sleep(120)
        """

    @Test func theReportArrivesWithItsSubjectRecipientsSummaryAndExactAttachment() async throws {
        let dir = TempDir()
        let report = dir.url.appendingPathComponent("2026-09-21T080000-all.xlsx")
        try CampaignReport(ledger: MessageLedger(events: ReportTests.events()), scope: ReportTests.scope).write(
            to: report,
            generatedAt: ReportTests.t0
        )
        let inbox = dir.url.appendingPathComponent("mails")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let port = freePort()
        let smtp = Process()
        smtp.executableURL = URL(fileURLWithPath: python3)
        smtp.arguments = ["python3", "-c", Self.server, String(port), inbox.path]
        let ready = Pipe()
        smtp.standardOutput = ready
        try smtp.run()
        defer {
            kill(smtp.processIdentifier, SIGKILL)
            smtp.waitUntilExit()
        }
        _ = ready.fileHandleForReading.availableData  // "ready"

        let attachment = [UInt8](try Data(contentsOf: report))
        let mail = ReportMail(
            from: "wabulk@example.org",
            to: ["manager@example.org", "staff@example.org"],
            subject: "wabulk report 2026-09-21: 6 messages, 4 delivered — Diwali ✨",
            summary: "Total 6, sent 5, delivered 4, read 1, failed 2.\nDelivery rate 66.7%.",
            attachmentName: report.lastPathComponent,
            attachment: attachment
        )
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var mailer = ReportMailer(server: .init(url: "smtp://127.0.0.1:\(port)", requireTLS: false), logger: logger)
        mailer.attempts = 3
        mailer.backoff = .milliseconds(200)
        #expect(await mailer.send(mail))

        let read = """
            import email, json, sys
            from email import policy
            m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
            parts = [p for p in m.walk() if not p.is_multipart()]
            text = next(p for p in parts if p.get_content_type() == "text/plain").get_content()
            att = next(p for p in parts if p.get_filename())
            open(sys.argv[2], "wb").write(att.get_payload(decode=True))
            print(json.dumps({"subject": m["subject"], "to": m["to"], "from": m["from"], "text": text, "filename": att.get_filename(),
                              "type": att.get_content_type()}))
            """
        let extracted = dir.url.appendingPathComponent("attachment.xlsx")
        let parsed = try await runProcess(python3, ["python3", "-c", read, inbox.appendingPathComponent("mail0.eml").path, extracted.path])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: String])
        #expect(fields["subject"] == "wabulk report 2026-09-21: 6 messages, 4 delivered — Diwali ✨")
        #expect(fields["to"] == "manager@example.org, staff@example.org")
        #expect(fields["from"] == "wabulk@example.org")
        #expect(fields["text"] == "Total 6, sent 5, delivered 4, read 1, failed 2.\nDelivery rate 66.7%.")
        #expect(fields["filename"] == "2026-09-21T080000-all.xlsx")
        #expect(fields["type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        #expect(try Data(contentsOf: extracted) == Data(attachment))
        let envelope = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: inbox.appendingPathComponent("mail0.json"))) as? [String: Any]
        )
        #expect(envelope["from"] as? String == "wabulk@example.org")
        #expect(envelope["to"] as? [String] == ["manager@example.org", "staff@example.org"])
    }

    @Test func anUnreachableServerIsRetriedWithBackoffThenGivenUp() async throws {
        actor Waits {
            var all: [Duration] = []
            func add(_ d: Duration) { all.append(d) }
        }
        let waits = Waits()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var mailer = ReportMailer(server: .init(url: "smtp://127.0.0.1:\(freePort())", requireTLS: false), logger: logger)
        mailer.attempts = 4
        mailer.backoff = .seconds(30)
        mailer.sleep = { await waits.add($0) }
        let mail = ReportMail(
            from: "a@example.org",
            to: ["b@example.org"],
            subject: "s",
            summary: "x",
            attachmentName: "r.xlsx",
            attachment: [1, 2, 3]
        )
        #expect(await mailer.send(mail) == false)
        #expect(await waits.all == [.seconds(30), .seconds(60), .seconds(120)])
    }
}
