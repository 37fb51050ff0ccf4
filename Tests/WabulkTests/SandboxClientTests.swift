import CloudAPI
import Curl
import Foundation
import Logging
import Sandbox
import ServiceLifecycle
import Testing
import WabulkBase

@Suite struct SandboxClientTests {
    @Test func theClientSpeaksToTheSandboxOverLoopback() async throws {
        let port = freePort()
        var script = SandboxScript()
        script.failures = [
            .init(target: .phone("919876500002"), code: 131026),
            .init(target: .phone("919876500003"), code: 131000, times: 1),
            .init(target: .phone("919876500004"), code: 132001),
        ]
        script.expectedToken = "good-token"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let sandbox = SandboxServer(port: port, webhookURL: nil, appSecret: Secret("s"), script: script, recordFile: nil, logger: logger)
        let group = ServiceGroup(configuration: .init(services: sandbox.services(), logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask(executorPreference: ServerExecutor()) { try await group.run() }
            let client = CloudAPIClient(baseURL: "http://127.0.0.1:\(port)", version: "v23.0", phoneNumberID: "123", token: Secret("good-token"))
            func send(_ to: String) async -> SendOutcome {
                await client.send(TemplateMessage(to: to, templateName: "t", language: "en_US", bodyParameters: ["A"], callbackData: "c.1"))
            }
            #expect(try await eventually { if case .accepted = await send("+919876500001") { true } else { false } })
            guard case .rejected(let undeliverable, let status, _) = await send("+919876500002") else {
                Issue.record("expected 131026")
                return
            }
            #expect(undeliverable.code == 131026)
            #expect(undeliverable.title == "Message undeliverable")
            #expect(status == 400)
            guard case .rejected(let transient, 500, _) = await send("+919876500003") else {
                Issue.record("expected 131000")
                return
            }
            #expect(transient.code == 131000)
            guard case .accepted(let wamid) = await send("+919876500003") else {
                Issue.record("second attempt should pass")
                return
            }
            #expect(wamid.hasPrefix("wamid."))
            guard case .rejected(let missing, 404, _) = await send("+919876500004") else {
                Issue.record("expected 132001")
                return
            }
            #expect(MetaErrorCatalog.entry(for: missing.code).action == .stopCampaign)

            let expired = CloudAPIClient(baseURL: "http://127.0.0.1:\(port)", version: "v23.0", phoneNumberID: "123", token: Secret("old"))
            guard case .rejected(let auth, 401, _) = await expired.send(TemplateMessage(to: "+919876500001", templateName: "t", language: "en_US"))
            else {
                Issue.record("expected 190")
                return
            }
            #expect(auth.code == 190)
            let records = await sandbox.records()
            #expect(records.count == 6)
            #expect(records.first?.callbackData == "c.1")
            #expect(records.first?.bodyParameters == ["A"])
            let stats = await sandbox.stats()
            #expect(stats.accepted == 2)
            #expect(stats.rejected == 4)

            let nobody = CloudAPIClient(baseURL: "http://127.0.0.1:\(freePort())", version: "v23.0", phoneNumberID: "1", token: Secret("x"))
            guard case .transportFailure = await nobody.send(TemplateMessage(to: "+1", templateName: "t", language: "en")) else {
                Issue.record("a refused connection is a transport failure")
                return
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func failureScriptsParse() {
        #expect(SandboxScript.Failure(parsing: "+91 98765 00001=131026", async: false) == .init(target: .phone("919876500001"), code: 131026))
        #expect(
            SandboxScript.Failure(parsing: "919876500001=131000x2", async: false) == .init(target: .phone("919876500001"), code: 131000, times: 2)
        )
        #expect(SandboxScript.Failure(parsing: "share:0.1=131026", async: true) == .init(target: .share(0.1), code: 131026, async: true))
        #expect(SandboxScript.Failure(parsing: "nonsense", async: false) == nil)
    }

    @Test func lateAnswerScriptsParse() {
        #expect(SandboxScript.LateAnswer(parsing: "+91 98765 00001=20000", lost: false) == .init(phone: "919876500001", delay: .seconds(20)))
        #expect(
            SandboxScript.LateAnswer(parsing: "919876500001=1500x1", lost: true)
                == .init(phone: "919876500001", delay: .milliseconds(1500), times: 1, lost: true)
        )
        #expect(SandboxScript.LateAnswer(parsing: "919876500001=-5", lost: false) == nil)
        #expect(SandboxScript.LateAnswer(parsing: "919876500001=5x0", lost: false) == nil)
        #expect(SandboxScript.LateAnswer(parsing: "=5", lost: false) == nil)
    }

    /// Media uploads over real multipart (libcurl's form, streamed from the file) to the sandbox's endpoint:
    /// an id for a file of an allowed type and size, Meta's error 100 with the reason otherwise, and the
    /// file's type told by its bytes before anything is sent.
    @Test func mediaIsUploadedAsMultipartAndCheckedAsMetaDoes() async throws {
        let dir = TempDir()
        let pdf = dir.url.appendingPathComponent("brochure.pdf")
        try Data("%PDF-1.4\n%%EOF\n".utf8).write(to: pdf)
        let big = dir.url.appendingPathComponent("poster.jpg")
        var jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0])
        jpeg.append(Data(count: 6 << 20))
        try jpeg.write(to: big)
        try await withSandbox { port, sandbox in
            let client = CloudAPIClient(baseURL: "http://127.0.0.1:\(port)", version: "v23.0", phoneNumberID: "123", token: Secret("t"))
            let uploaded = await client.uploadMedia(path: pdf.path, filename: "brochure.pdf", contentType: "application/pdf")
            #expect(uploaded == .uploaded(id: "1037543291543601"))
            // The client never sends a file over the limit (MediaFile refuses it first); the sandbox refuses it as Meta would.
            #expect(
                MediaFile.inspect(big) == .failure(.tooLarge(contentType: "image/jpeg", size: Int64(jpeg.count), limit: 5 << 20))
            )
            let tooBig = await client.uploadMedia(path: big.path, filename: "poster.jpg", contentType: "image/jpeg")
            let limitText = "File is too big (\(jpeg.count) bytes); the limit for image/jpeg is 5242880 bytes"
            #expect(tooBig == .rejected(GraphError(code: 100, title: "Invalid parameter", details: limitText, fbtraceID: "AmedX1Tr4ce")))
            let wrongType = await client.uploadMedia(path: pdf.path, filename: "notes.txt", contentType: "text/plain")
            guard case .rejected(let refusal) = wrongType else {
                Issue.record("expected a refusal, got \(wrongType)")
                return
            }
            #expect(refusal.code == 100)
            #expect(refusal.details?.hasSuffix("Received file of type 'text/plain'.") == true)
            #expect(await sandbox.stats().mediaUploads == 1)
        }
    }
}
