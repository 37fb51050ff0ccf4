import Campaigns
import CloudAPI
import Contacts
import Curl
import EventLog
import Foundation
import Logging
import Sandbox
import ServiceLifecycle
import Spool
import Templates
import Testing
import WabulkBase

@testable import Intake

/// Runs `body` with the sandbox listening on a free loopback port.
func withSandbox(_ script: SandboxScript = SandboxScript(), _ body: (Int) async throws -> Void) async throws {
    try await withSandbox(script) { port, _ in try await body(port) }
}

/// The same, with the sandbox itself for its counters and records.
func withSandbox(_ script: SandboxScript = SandboxScript(), _ body: (Int, SandboxServer) async throws -> Void) async throws {
    let port = freePort()
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let sandbox = SandboxServer(port: port, webhookURL: nil, appSecret: Secret("s"), script: script, recordFile: nil, logger: logger)
    let group = ServiceGroup(configuration: .init(services: sandbox.services(), logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask(executorPreference: ServerExecutor()) { try await group.run() }
        let client = CurlProbe(port: port)
        #expect(try await eventually { await client.isUp() })
        do { try await body(port, sandbox) } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// Waits for a server on loopback by asking for /healthz.
struct CurlProbe {
    let port: Int
    func isUp() async -> Bool {
        // The sandbox's own counters, not the template list: a probe that timed out under load after the
        // sandbox had counted its call once spent one of a test's scripted template failures.
        (try? await CurlPool().perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/sandbox/stats")))?.status == 200
    }
}

/// Records the waits a sync asks for instead of waiting.
actor SleepLog {
    var waits: [Duration] = []
    func add(_ d: Duration) { waits.append(d) }
}

@Suite struct TemplateTests {
    func sync(port: Int, cache: URL, pageSize: Int = 5) -> TemplateSync {
        let client = CloudAPIClient(baseURL: "http://127.0.0.1:\(port)", version: "v23.0", phoneNumberID: "123", token: Secret("good"))
        var sync = TemplateSync(client: client, businessAccountID: "waba-1", cacheFile: cache)
        sync.pageSize = pageSize
        sync.now = { Date(timeIntervalSince1970: 1_795_000_000) }
        return sync
    }

    @Test func syncFollowsEveryPageToTheEnd() async throws {
        let dir = TempDir()
        let cacheFile = dir.url.appendingPathComponent("templates.json")
        try await withSandbox { port in
            let result = try await sync(port: port, cache: cacheFile).refresh()
            #expect(result == .init(templates: 16, pages: 4))
        }
        let cache = try #require(try TemplateCache.load(cacheFile))
        #expect(cache.fetchedAt == Timestamp.format(Date(timeIntervalSince1970: 1_795_000_000)))
        #expect(cache.lastRefreshFailure == nil)
        #expect(cache.data.count == 16)
        #expect(Set(cache.data.map { "\($0.name)/\($0.language)" }).count == 16)
        #expect(
            Dictionary(grouping: cache.data, by: \.status).mapValues(\.count)
                == ["APPROVED": 12, "PAUSED": 1, "REJECTED": 1, "PENDING": 1, "DISABLED": 1]
        )
        let named = try #require(cache.template(name: "welcome_named", language: "en_US"))
        #expect(named.parameterFormat == "NAMED")
        #expect(named.bodyPlaceholders == ["first_name", "code"])
        let order = try #require(cache.template(name: "order_update", language: "en_US"))
        #expect(order.bodyPlaceholders == ["1", "2"])
        #expect(order.buttonPlaceholders == ["1"])
        let reminder = try #require(cache.template(name: "appointment_reminder", language: "en_US"))
        #expect(reminder.headerPlaceholders == ["1"])
        #expect(reminder.bodyPlaceholders == ["1", "2", "3"])
    }

    @Test func aFailedRefreshKeepsTheLastGoodCache() async throws {
        let dir = TempDir()
        let cacheFile = dir.url.appendingPathComponent("templates.json")
        try await withSandbox { port in _ = try await sync(port: port, cache: cacheFile).refresh() }
        let good = try #require(try TemplateCache.load(cacheFile))
        var script = SandboxScript()
        script.templateFailure = (code: 190, times: nil)
        try await withSandbox(script) { port in
            var s = sync(port: port, cache: cacheFile)
            s.now = { Date(timeIntervalSince1970: 1_795_003_600) }
            await #expect(
                throws: TemplateError.rejected(
                    GraphError(
                        code: 190,
                        title: "Access token has expired",
                        fbtraceID: "AtplX1Tr4ce"
                    ),
                    page: 1
                )
            ) {  // the first template call
                try await s.refresh()
            }
        }
        let after = try #require(try TemplateCache.load(cacheFile))
        #expect(after.data == good.data)
        #expect(after.fetchedAt == good.fetchedAt)
        #expect(after.lastRefreshFailure?.at == Timestamp.format(Date(timeIntervalSince1970: 1_795_003_600)))
        #expect(after.lastRefreshFailure?.reason.contains("(#190)") == true)
    }

    @Test func theManagementBudgetIsWaitedOutWithBackoff() async throws {
        let dir = TempDir()
        let cacheFile = dir.url.appendingPathComponent("templates.json")
        var script = SandboxScript()
        script.templateFailure = (code: 80008, times: 2)
        let log = SleepLog()
        try await withSandbox(script) { port in
            var s = sync(port: port, cache: cacheFile, pageSize: 100)
            s.sleep = { await log.add($0) }
            let result = try await s.refresh()
            #expect(result == .init(templates: 16, pages: 1))
        }
        // The sync's first two calls hit the spent budget: 30 s, then 60 s, and the third passed.
        #expect(await log.waits == [.seconds(30), .seconds(60)])
    }

    @Test func theDaemonsPeriodicRefreshKeepsTheCacheAndCallsBackAfterEachGoodRefresh() async throws {
        let dir = TempDir()
        let cacheFile = dir.url.appendingPathComponent("templates.json")
        final class Count: @unchecked Sendable {
            let lock = NSLock()
            var n = 0
        }
        let count = Count()
        try await withSandbox { port in
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let service = TemplateRefreshService(
                sync: sync(port: port, cache: cacheFile),
                interval: .milliseconds(200),
                logger: logger,
                afterRefresh: { count.lock.withLock { count.n += 1 } }
            )
            let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // A long wait: at the start of a full run the cooperative pool can be busy for tens of seconds.
                #expect(try await eventually(timeout: 60) { count.lock.withLock { count.n } >= 3 })
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
        #expect(try TemplateCache.load(cacheFile)?.data.count == 16)
    }

    @Test func manifestsAreCheckedAgainstTheSyncedListWithPreciseReceiptLines() async throws {
        let dir = TempDir()
        let home = dir.home
        try home.create()
        try await withSandbox { port in _ = try await sync(port: port, cache: home.templatesFile).refresh() }
        let watcher = try IntakeFixture.watcher(home, templatesFile: home.templatesFile)
        _ = try ContactRegistry(path: home.contactsDatabase).merge([Contact(phone: "+919876500001", name: "Asha")], now: Date())
        let manifests = [
            "wrong-language.json":
                #"{"id": "c1", "template": {"name": "order_update", "language": "fr"}, "audience": {"all": true}, "variables": {"body": ["1", "2"]}}"#,
            "paused.json":
                #"{"id": "c2", "template": {"name": "old_promo", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#,
            "counts.json":
                #"{"id": "c3", "template": {"name": "appointment_reminder", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}", "Monday"]}}"#,
            "named.json":
                #"{"id": "c5", "template": {"name": "welcome_named", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}", "X1"]}}"#,
            "good.json":
                #"{"id": "c4", "template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}", "20%"]}}"#,
        ]
        for (name, text) in manifests { try Data(text.utf8).write(to: home.inbox.appendingPathComponent(name)) }
        await watcher.scanOnce()
        func receipt(_ name: String) throws -> Receipt { try IntakeFixture.receipt(home, name) }
        #expect(
            try receipt("wrong-language.json").problems?.map(\.description) == ["template.language: \"order_update\" exists in en_US, es, not in fr"]
        )
        #expect(try receipt("paused.json").problems?.map(\.description) == ["template: \"old_promo\" (en_US) is PAUSED, not APPROVED"])
        #expect(
            try receipt("counts.json").problems?.map(\.description) == [
                "variables.header: the template's header has 1 placeholder; 0 given",
                "variables.body: the template's body has 3 placeholders; 2 given",
            ]
        )
        #expect(
            try receipt("named.json").problems?.map(\.description) == [
                "variables.body: the template uses named parameters: give {\"first_name\": …, \"code\": …}"
            ]
        )
        for name in ["wrong-language.json", "paused.json", "counts.json", "named.json"] { #expect(try receipt(name).outcome == .rejected) }
        let good = try receipt("good.json")
        #expect(good.outcome == .accepted)
        #expect(good.campaign?.queued == 1)
    }
}

/// The commands staff and operators use, through the real binary against the sandbox process.
@Suite struct TemplateCommandTests {
    @Test func syncListTheStaffWorkbookAndShareLinkFromATemplate() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let port = freePort()
        var env = ProcessInfo.processInfo.environment
        env["WABULK_HOME"] = home.path
        env["WHATSAPP_TOKEN"] = "cli-token"
        env["WHATSAPP_PHONE_NUMBER_ID"] = "106540352242922"
        env["WHATSAPP_BUSINESS_ACCOUNT_ID"] = "102290129340398"
        env["WHATSAPP_API_BASE_URL"] = "http://127.0.0.1:\(port)"
        let sandbox = WabulkProcess(env: env, log: dir.url.appendingPathComponent("sandbox.log"))
        try sandbox.start(["sandbox", "--port", "\(port)"])
        defer { sandbox.stop() }
        #expect(try await eventually { try await runProcess("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/healthz"]).status == 0 })

        let sync = try await runProcess(wabulkBinary, ["templates", "sync", "--page-size", "5"], environment: env)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.hasPrefix("16 templates in 4 pages"))
        let list = try await runProcess(wabulkBinary, ["templates", "list", "--json"], environment: env)
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        #expect(listing["fetchedAt"] as? String != nil)
        let rows = try #require(listing["templates"] as? [[String: Any]])
        #expect(rows.count == 16)
        let reminder = try #require(rows.first { $0["name"] as? String == "appointment_reminder" })
        #expect((reminder["placeholders"] as? [String: [String]])?["body"] == ["1", "2", "3"])
        #expect(
            try await runProcess(wabulkBinary, ["templates", "list"], environment: env).stdout.contains("old_promo\ten_US\tPAUSED\tMARKETING\t{{1}}")
        )

        // outbox/templates.xlsx, read back with openpyxl: one row per template, sorted, with a ready manifest example.
        let book = try await readXLSX(home.appendingPathComponent("outbox/templates.xlsx").path)
        let sheet = try #require(book["Templates"])
        #expect(sheet[0].prefix(5) == ["Template", "Language", "Status", "Category", "Parameters"])
        let data = sheet.dropFirst().filter { !$0[0].isEmpty && !$0[0].hasPrefix("Fetched") }
        #expect(data.count == 16)
        let diwali = try #require(data.first { $0[0] == "diwali_offer" && $0[1] == "en_US" })
        #expect(diwali[6] == "Hi {{1}}, this Diwali take {{2}} off everything in store.")
        #expect(diwali[7] == "body: {{1}} {{2}}")
        #expect(diwali[8] == #""template": {"name": "diwali_offer", "language": "en_US"}, "variables": {"body": ["{name}", "{field2}"]}"#)
        let image = try #require(data.first { $0[0] == "diwali_image" })
        #expect(
            image[8]
                == #""template": {"name": "diwali_image", "language": "en_US"}, "variables": {"header": {"image": "https://example.com/offer.jpg"}, "body": {"first_name": "{name}", "discount": "{discount}"}, "buttons": [{"index": 0, "url": "{link}"}, {"index": 1, "copyCode": "{code}"}, {"index": 2, "payload": "diwali_image-2"}]}"#
        )

        let share = try await runProcess(
            wabulkBinary,
            [
                "share-link", "--template", "diwali_offer", "--var", "friends", "--var", "20%",
                "--phone", "098765 43210", "--name", "diwali group",
            ],
            environment: env
        )
        #expect(share.status == 0, "\(share.stderr)")
        #expect(
            share.stdout.hasPrefix(
                "https://wa.me/919876543210?text=Hi%20friends%2C%20this%20Diwali%20take%2020%25%20off%20everything%20in%20store.\n"
            )
        )
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("outbox/share/diwali-group.png").path))
        let unknown = try await runProcess(wabulkBinary, ["share-link", "--template", "nope", "--var", "x"], environment: env)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("share.template: no template \"nope\" in the template list"))
    }
}
