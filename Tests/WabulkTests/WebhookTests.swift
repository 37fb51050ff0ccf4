import CloudAPI
import Curl
import EventLog
import Foundation
import Logging
import ServiceLifecycle
import Testing
import WabulkBase

@testable import WebhookListener

@Suite struct WebhookSignatureTests {

    @Test func signatureMatchesAnIndependentHMAC() async throws {
        let body = Array(#"{"a":1}"#.utf8)
        let python = try await runProcess(
            python3,
            [
                "python3", "-c", "import hmac,hashlib,sys;print('sha256='+hmac.new(b'app-secret', sys.argv[1].encode(), hashlib.sha256).hexdigest())",
                #"{"a":1}"#,
            ]
        )
        let independent = python.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(independent.hasPrefix("sha256=") && independent.count == 71)
        #expect(WebhookSignature.sign(body, secret: Secret("app-secret")) == independent)
        #expect(WebhookSignature.isValid(header: independent, body: body, secret: Secret("app-secret")))
        #expect(
            WebhookSignature.isValid(
                header: independent.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="),
                body: body,
                secret: Secret("app-secret")
            )
        )
        #expect(!WebhookSignature.isValid(header: independent, body: body, secret: Secret("other")))
        #expect(!WebhookSignature.isValid(header: nil, body: body, secret: Secret("app-secret")))
        #expect(!WebhookSignature.isValid(header: "sha256=zz", body: body, secret: Secret("app-secret")))
    }

    @Test func aReserializedBodyFailsVerification() throws {
        // Meta escapes non-ASCII; the same JSON written with raw UTF-8 is different bytes.
        let raw = Array(#"{"name":"\u00e9l\u00e8ve \ud83d\ude00"}"#.utf8)
        let header = WebhookSignature.sign(raw, secret: Secret("s"))
        let object = try JSONSerialization.jsonObject(with: Data(raw))
        let reserialized = [UInt8](try JSONSerialization.data(withJSONObject: object))
        #expect(reserialized != raw)
        #expect(!WebhookSignature.isValid(header: header, body: reserialized, secret: Secret("s")))
    }
}

@Suite struct WebhookPayloadTests {
    @Test func everyEntryChangeAndStatusIsRead() throws {
        let body = """
            {"object":"whatsapp_business_account","entry":[
              {"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"9"},
                "statuses":[
                  {"id":"wamid.A","status":"delivered","timestamp":"1750030073","recipient_id":"919876543210","biz_opaque_callback_data":"c.0000001",
                   "pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}},
                  {"id":"wamid.B","status":"failed","timestamp":"1750030074","recipient_id":"919876543211",
                   "errors":[{"code":131050,"title":"User stopped marketing","message":"x","error_data":{"details":"opted out"}}]}]}}]},
              {"id":"1","changes":[{"field":"messages","value":{"contacts":[{"profile":{"name":"A"},"wa_id":"919876543212"}],
                "messages":[{"from":"919876543212","id":"wamid.IN","timestamp":"1750030075","type":"text","text":{"body":"STOP"}}]}},
                {"field":"message_template_status_update","value":{"event":"PAUSED"}}]}]}
            """
        let events = try WebhookPayload.events(from: Array(body.utf8), receivedAt: Date(timeIntervalSince1970: 1_750_030_080))
        #expect(events.count == 5)
        #expect(events[0].status == .delivered)
        #expect(events[0].job == "c.0000001")
        #expect(events[0].phone == "+919876543210")
        #expect(events[0].metaTime == 1_750_030_073)
        #expect(events[0].pricingCategory == "marketing")
        #expect(events[1].status == .failed)
        #expect(events[1].errorCode == 131050)
        #expect(events[1].errorDetails == "opted out")
        // 131050: the person stopped marketing; a marketing-only opt-out at Meta's time of the failure.
        #expect(events[2].kind == .optOut)
        #expect(events[2].phone == "+919876543211")
        #expect(events[2].errorCode == 131050)
        #expect(events[2].metaTime == 1_750_030_074)
        #expect(events[3].kind == .inbound)
        #expect(events[3].reason == "STOP")
        #expect(events[4].kind == .optOut)
        #expect(events[4].phone == "+919876543212")
        #expect(events[4].errorCode == nil)
        #expect(events[4].reason == "replied \"STOP\"")
    }

    @Test func malformedBodiesAreRefused() {
        #expect(throws: WebhookPayload.ParseError.notJSON) { try WebhookPayload.events(from: Array("{".utf8), receivedAt: Date()) }
        #expect(throws: WebhookPayload.ParseError.notWhatsAppEnvelope) { try WebhookPayload.events(from: Array("{}".utf8), receivedAt: Date()) }
    }
}

@Suite struct WebhookListenerTests {
    @Test func handshakeSignaturesAndDurableEventsOverRealHTTP() async throws {
        let dir = TempDir()
        let port = freePort()
        let writer = EventLogWriter(directory: dir.url)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let listener = try WebhookListener(
            options: .init(
                host: "127.0.0.1",
                port: port,
                path: "/api/whatsapp/webhook",
                appSecret: Secret("app-secret"),
                verifyToken: Secret("verify-me")
            ),
            events: writer,
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [listener.server()], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask(executorPreference: ServerExecutor()) { try await group.run() }
            let http = CurlPool()
            let base = "http://127.0.0.1:\(port)/api/whatsapp/webhook"
            #expect(
                try await eventually { (try? await http.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/healthz")))?.status == 200 }
            )

            let ok = try await http.perform(
                HTTPRequest(method: "GET", url: base + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me")
            )
            #expect(ok.status == 200)
            #expect(String(decoding: ok.body, as: UTF8.self) == "1158201444")
            let wrong = try await http.perform(HTTPRequest(method: "GET", url: base + "?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope"))
            #expect(wrong.status == 403)

            let body = Array(
                #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.X","status":"read","timestamp":"1750030073","recipient_id":"919876543210"}]}}]}]}"#
                    .utf8
            )
            let unsigned = try await http.perform(HTTPRequest(method: "POST", url: base, headers: [("Content-Type", "application/json")], body: body))
            #expect(unsigned.status == 401)
            let forged = try await http.perform(
                HTTPRequest(
                    method: "POST",
                    url: base,
                    headers: [(WebhookSignature.headerName, WebhookSignature.sign(body, secret: Secret("guess")))],
                    body: body
                )
            )
            #expect(forged.status == 401)
            #expect(EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events.isEmpty)

            let signed = try await http.perform(
                HTTPRequest(
                    method: "POST",
                    url: base,
                    headers: [(WebhookSignature.headerName, WebhookSignature.sign(body, secret: Secret("app-secret")))],
                    body: body
                )
            )
            #expect(signed.status == 200)
            let garbage = Array("not json".utf8)
            let bad = try await http.perform(
                HTTPRequest(
                    method: "POST",
                    url: base,
                    headers: [(WebhookSignature.headerName, WebhookSignature.sign(garbage, secret: Secret("app-secret")))],
                    body: garbage
                )
            )
            #expect(bad.status == 400)
            // The 200 came after the event was written: it is on disk now.
            let events = EventLogReader(directory: dir.url).readAll(includingRawBodies: true).events
            #expect(events.count == 2)
            #expect(events.first?.kind == .webhook)
            #expect(events.first?.raw.map { Array($0.utf8) } == body)
            #expect(events.last?.wamid == "wamid.X")
            #expect(events.last?.status == .read)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func noAppSecretIsRefusedUnlessInsecureIsOn() throws {
        let dir = TempDir()
        #expect(throws: WebhookListener.StartError.self) {
            try WebhookListener(
                options: .init(host: "127.0.0.1", port: 1, path: "/", appSecret: nil, verifyToken: nil),
                events: EventLogWriter(directory: dir.url),
                logger: Logger(label: "t")
            )
        }
        _ = try WebhookListener(
            options: .init(host: "127.0.0.1", port: 1, path: "/", appSecret: nil, verifyToken: nil, insecure: true),
            events: EventLogWriter(directory: dir.url),
            logger: Logger(label: "t")
        )
    }
}

@Suite struct SmallLimitsTests {
    @Test func theVerifyTokenMatchesOnlyItself() {
        let token = Secret("verify-me")
        #expect(WebhookSignature.tokenMatches("verify-me", token))
        for wrong in ["", "verify-m", "verify-me ", "VERIFY-ME", "verify-me\u{0}"] { #expect(!WebhookSignature.tokenMatches(wrong, token)) }
    }

    @Test(arguments: [("30", 30.0), (" 2.5 ", 2.5), ("0", 0.0), ("999999", 86_400.0)] as [(String, Double)])
    func aRetryAfterIsReadAsSecondsUpToADay(header: String, seconds: Double) {
        #expect(CloudAPIClient.retryAfterSeconds(header) == seconds)
    }

    @Test(arguments: ["inf", "-inf", "nan", "1e400", "-5", "Wed, 21 Oct 2026 07:28:00 GMT", ""])
    func anUnusableRetryAfterIsIgnored(header: String) {
        #expect(CloudAPIClient.retryAfterSeconds(header) == nil)
    }
}
