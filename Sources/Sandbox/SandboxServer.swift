import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import WabulkBase

/// `wabulk sandbox`: Meta's Cloud API on loopback. Accepts template sends with Meta's response shapes,
/// answers scripted sends with Meta's error shapes, and posts signed status webhooks back.
public struct SandboxServer: Sendable {
    public let host: String
    public let port: Int
    public let script: SandboxScript
    let pump: WebhookPump
    let subscriptions: SandboxSubscriptions
    let recorder: RequestRecorder
    let media: SandboxMedia
    let gate: SendGate
    let account: SandboxAccount
    let logger: Logger
    let phoneNumberID: String

    public init(
        host: String = "127.0.0.1",
        port: Int,
        webhookURL: String?,
        appSecret: Secret,
        phoneNumberID: String = "106540352242922",
        script: SandboxScript,
        recordFile: URL?,
        logger: Logger
    ) {
        self.host = host
        self.port = port
        self.script = script
        self.logger = logger
        self.phoneNumberID = phoneNumberID
        subscriptions = SandboxSubscriptions(appID: script.appID, appSecret: appSecret, callbackURL: webhookURL, fields: script.subscribedFields)
        pump = WebhookPump(
            url: webhookURL,
            secret: appSecret,
            phoneNumberID: phoneNumberID,
            retryCap: script.webhookRetryCap,
            subscriptions: subscriptions,
            logger: logger
        )
        recorder = RequestRecorder(file: recordFile)
        media = SandboxMedia(expiresAfterUses: script.mediaExpiresAfterUses)
        account = SandboxAccount(messagingLimit: script.messagingLimit)
        gate = SendGate(pauseAfterDigits: script.pauseAfter?.filter(\.isNumber))
    }

    /// Meta's answer to a subscription change: success, or the fields it did not know.
    static func changed(_ unknown: [String]) -> Data {
        let json: [String: Any] = unknown.isEmpty ? ["success": true] : ["success": false, "unknown_fields": unknown]
        return (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
    }

    public func stats() async -> SandboxStats {
        var stats = await pump.currentStats()
        stats.mediaUploads = await media.uploadCount
        return stats
    }
    public func records() async -> [SandboxRecord] { await recorder.all() }

    /// The HTTP server and the webhook pump, to run in one service group.
    public func services(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        [application(onRunning: onRunning), PumpService(pump: pump)]
    }

    func application(onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        let script = script
        let pump = pump
        let recorder = recorder
        let media = media
        let gate = gate
        let account = account
        let server = self
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/sandbox/requests") { _, _ -> Response in
            let data = try JSONEncoder().encode(await recorder.all())
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        // Meta changing the account, on command: the change is posted to the listener as Meta's webhook
        // (signed, retried) and the sandbox's own limit and quality follow it. Answers what the listener said.
        router.post("/sandbox/account-update") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 16)
            guard let change = await account.change(command: Data(buffer.readableBytesView)) else { return Response(status: .badRequest) }
            let status = await pump.postAccountChange(change)
            let data = Data(#"{"listenerStatus":\#(status),"change":"#.utf8) + change + Data("}".utf8)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/sandbox/resume") { _, _ -> Response in
            await gate.open()
            return Response(status: .ok)
        }
        router.get("/sandbox/stats") { _, _ -> Response in
            let data = try JSONEncoder().encode(await server.stats())
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        // The business account's numbers and the apps subscribed to its webhooks (`wabulk doctor` reads both).
        let phoneNumberID = phoneNumberID
        @Sendable func graph(_ request: Request, _ body: @Sendable () -> [String: Any]) throws -> Response {
            let auth = request.headers[.authorization] ?? ""
            let tokenOK = auth.hasPrefix("Bearer ") && auth.count > 7 && script.expectedToken.map { auth == "Bearer \($0)" } ?? true
            let (status, json) = tokenOK ? (200, body()) : MetaErrorShapes.body(code: 190, traceID: "AgrphX0Tr4ce")
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        router.get("/:version/:account/phone_numbers") { request, _ -> Response in
            try graph(request) { ["data": [["id": phoneNumberID, "display_phone_number": "+1 555-000-1111", "verified_name": "wabulk sandbox"]]] }
        }
        router.get("/:version/:account/subscribed_apps") { request, _ -> Response in
            try graph(request) {
                script.unsubscribed
                    ? ["data": [[String: Any]]()] : ["data": [["whatsapp_business_api_data": ["id": "1234567890", "name": "wabulk"]]]]
            }
        }
        // The app's webhook subscription, to the app's own token (`{app-id}|{app-secret}`, as Bearer or as
        // `access_token`): what `wabulk doctor` reads; POST adds fields and DELETE removes them, as on Meta.
        let subscriptions = subscriptions
        @Sendable func appRequest(
            _ request: Request,
            _ context: BasicRequestContext,
            _ body: @Sendable (String) async -> Data
        ) async throws
            -> Response
        {
            let auth = request.headers[.authorization] ?? ""
            let token = auth.hasPrefix("Bearer ") ? String(auth.dropFirst(7)) : request.uri.queryParameters["access_token"].map(String.init) ?? ""
            let version = context.parameters.get("version") ?? "v23.0"
            let status: Int
            let data: Data
            if context.parameters.get("account") != subscriptions.appID || !subscriptions.acceptsToken(token) {
                let (code, json) = MetaErrorShapes.body(
                    code: context.parameters.get("account") != subscriptions.appID ? 100 : 190,
                    traceID: "AappXTr4ce"
                )
                status = code
                data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
            } else {
                status = 200
                data = await body(version)
            }
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        @Sendable func fieldNames(_ request: Request) -> [String] {
            (request.uri.queryParameters["fields"].map(String.init) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        router.get("/:version/:account/subscriptions") { request, context -> Response in
            try await appRequest(request, context) { await subscriptions.listing(version: $0) }
        }
        router.post("/:version/:account/subscriptions") { request, context -> Response in
            let names = fieldNames(request)
            return try await appRequest(request, context) { _ in
                Self.changed(await subscriptions.subscribe(names))
            }
        }
        router.delete("/:version/:account/subscriptions") { request, context -> Response in
            let names = fieldNames(request)
            return try await appRequest(request, context) { _ in
                Self.changed(await subscriptions.unsubscribe(names))
            }
        }
        router.get("/:version/:account/message_templates") { request, context -> Response in
            let call = await recorder.nextTemplateCall()
            let auth = request.headers[.authorization] ?? ""
            let tokenOK = auth.hasPrefix("Bearer ") && auth.count > 7 && script.expectedToken.map { auth == "Bearer \($0)" } ?? true
            let failure = script.templateFailure.flatMap { f in f.times.map { call <= $0 } ?? true ? f.code : nil }
            let json: [String: Any]
            let status: Int
            if !tokenOK || failure != nil {
                (status, json) = MetaErrorShapes.body(code: tokenOK ? failure! : 190, traceID: "AtplX\(call)Tr4ce")
            } else {
                let query = request.uri.queryParameters
                let limit = query["limit"].flatMap { Int(String($0)) } ?? 25
                let version = context.parameters.get("version") ?? "v21.0"
                let account = context.parameters.get("account") ?? ""
                let base = "http://\(host):\(port)/\(version)/\(account)/message_templates?fields=\(query["fields"].map(String.init) ?? "")"
                json = SandboxTemplates.page(after: query["after"].map(String.init), limit: limit, baseURL: base)
                status = 200
            }
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        // The sending number's fields (meta-cloud-api.md §5): the messaging limit as a tier, the quality rating.
        router.get("/:version/:account") { request, context -> Response in
            let auth = request.headers[.authorization] ?? ""
            let json: [String: Any]
            let status: Int
            if !(auth.hasPrefix("Bearer ") && auth.count > 7 && script.expectedToken.map { auth == "Bearer \($0)" } ?? true) {
                (status, json) = MetaErrorShapes.body(code: 190, traceID: "AphnX0Tr4ce")
            } else {
                let tier = await account.tier
                let quality = await account.quality
                (status, json) = (
                    200,
                    [
                        "id": context.parameters.get("account") ?? "", "whatsapp_business_manager_messaging_limit": tier,
                        "quality_rating": quality, "display_phone_number": "+1 555-000-1111", "verified_name": "wabulk sandbox",
                        "name_status": "APPROVED", "throughput": ["level": "STANDARD"],
                    ]
                )
            }
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        router.post("/:version/:account/media") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 101 << 20)
            let auth = request.headers[.authorization] ?? ""
            let json: [String: Any]
            let status: Int
            if !(auth.hasPrefix("Bearer ") && auth.count > 7 && script.expectedToken.map { auth == "Bearer \($0)" } ?? true) {
                (status, json) = MetaErrorShapes.body(code: 190, traceID: "AmedX0Tr4ce")
            } else if let form = MultipartForm(contentType: request.headers[.contentType] ?? "", body: Array(buffer.readableBytesView)) {
                switch await media.upload(form) {
                case .success(let id): (status, json) = (200, ["id": id])
                case .failure(let error): (status, json) = MetaErrorShapes.body(code: error.code, traceID: "AmedX1Tr4ce", details: error.details)
                }
            } else {
                (status, json) = MetaErrorShapes.body(code: 100, traceID: "AmedX2Tr4ce", details: "expected a multipart/form-data body")
            }
            let data = try JSONSerialization.data(withJSONObject: json, options: [.withoutEscapingSlashes])
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        router.post("/:version/:account/messages") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let auth = request.headers[.authorization] ?? ""
            await gate.waitUntilOpen()
            let send = SendHandling(script: script, recorder: recorder, pump: pump, media: media, gate: gate, account: account)
            let (status, json) = await send.handle(body: Data(buffer.readableBytesView), authorization: auth)
            // Unsorted: corelibs Foundation sorts keys with locale-aware compares, the sandbox's largest cost.
            let data = try JSONSerialization.data(withJSONObject: json, options: [.withoutEscapingSlashes])
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}

struct PumpService: Service {
    let pump: WebhookPump
    func run() async throws {
        await cancelWhenGracefulShutdown { await pump.run() }
    }
}

/// Keeps every send request, in memory and (optionally) as JSON lines in a file.
actor RequestRecorder {
    private var records: [SandboxRecord] = []
    private var attemptsByPhone: [String: Int] = [:]
    private var sequence = 0
    private let handle: FileHandle?

    init(file: URL?) {
        if let file {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
            handle = try? FileHandle(forWritingTo: file)
        } else {
            handle = nil
        }
    }

    func nextAttempt(for digits: String) -> Int {
        attemptsByPhone[digits, default: 0] += 1
        return attemptsByPhone[digits]!
    }

    private var templateCalls = 0

    func nextTemplateCall() -> Int {
        templateCalls += 1
        return templateCalls
    }

    func nextSequence() -> Int {
        sequence += 1
        return sequence
    }

    func append(_ record: SandboxRecord) {
        records.append(record)
        if let handle, var data = try? JSONEncoder().encode(record) {
            data.append(0x0A)
            handle.write(data)
        }
    }

    func all() -> [SandboxRecord] { records }

    /// Each person's latest accepted message, for the messaging limit.
    private var reached: [String: Date] = [:]

    /// Whether one more message to `digits` at `now` stays within `limit` unique people a moving 24 hours;
    /// counts it when it does.
    func reach(_ digits: String, now: Date, limit: Int) -> Bool {
        reached = reached.filter { now.timeIntervalSince($0.value) < 86_400 }
        guard reached[digits] != nil || reached.count < limit else { return false }
        reached[digits] = now
        return true
    }
}
