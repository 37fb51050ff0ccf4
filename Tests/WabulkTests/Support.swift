import Campaigns
import Contacts
import EventLog
import Foundation
import Intake
import Logging
import Spool
import Synchronization
import Testing
import WabulkBase

/// A fresh folder under /tmp, removed when the test ends.
final class TempDir: @unchecked Sendable {
    let url: URL
    init(_ label: String = "wabulk") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    var home: HomeLayout { HomeLayout(root: url) }

    func file(_ name: String, _ text: String) -> URL {
        let u = url.appendingPathComponent(name)
        try! Data(text.utf8).write(to: u)
        return u
    }

    func file(_ name: String, bytes: [UInt8]) -> URL {
        let u = url.appendingPathComponent(name)
        try! Data(bytes).write(to: u)
        return u
    }
}

/// Runs a program to completion and returns its exit code and output.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs on its own thread: a test blocking one of the two cooperative threads for a whole child process
/// starved every other test's timers and servers (a crash test's kill landed seconds late).
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil) async throws -> ProcessResult
{
    try await onOwnThread { try runProcessBlocking(executable, arguments, environment: environment, input: input) }
}

/// Runs blocking work (waiting on a child, timing a kill) on a thread of its own, off the cooperative pool.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

func runProcessBlocking(_ executable: String, _ arguments: [String], environment: [String: String]?, input: String?) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.run()
    if let input {
        // Written from another thread so a child that answers before reading everything cannot deadlock us.
        let bytes = Data(input.utf8)
        let writer = stdin.fileHandleForWriting
        Thread {
            writer.write(bytes)
            try? writer.close()
        }.start()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

/// The `wabulk` binary built beside the test bundle (or $WABULK_BIN).
var wabulkBinary: String {
    if let env = ProcessInfo.processInfo.environment["WABULK_BIN"] { return env }
    let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [bundleDir, bundleDir.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("wabulk").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/wabulk").path
}

/// python3 as found on PATH (where .ci/run installed the test oracles), through /usr/bin/env.
let python3 = "/usr/bin/env"

/// Reads an XLSX with openpyxl (an independent reader) into sheet name → rows of cell texts.
func readXLSX(_ path: String) async throws -> [String: [[String]]] {
    let script = """
        import json, sys, datetime, openpyxl
        wb = openpyxl.load_workbook(sys.argv[1])
        out = {}
        for ws in wb.worksheets:
            rows = []
            for row in ws.iter_rows():
                cells = []
                for c in row:
                    v = c.value
                    if c.data_type == "f": cells.append("FORMULA:" + str(v))
                    elif v is None: cells.append("")
                    elif isinstance(v, float) and v.is_integer() and abs(v) < 1e15: cells.append(str(int(v)))
                    elif isinstance(v, datetime.datetime): cells.append(v.isoformat())
                    else: cells.append(str(v))
                rows.append(cells)
            out[ws.title] = rows
        import zipfile
        out["__charts__"] = [[n] for n in sorted(zipfile.ZipFile(sys.argv[1]).namelist()) if n.startswith("xl/charts/chart")]
        print(json.dumps(out))
        """
    let result = try await runProcess(python3, ["python3", "-c", script, path])
    guard result.status == 0 else { throw ReaderFailure(message: result.stderr) }
    return try JSONDecoder().decode([String: [[String]]].self, from: Data(result.stdout.utf8))
}

struct ReaderFailure: Error { var message: String }

/// Polls until `condition` holds or the time is up.
func eventually(timeout: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// A free loopback port below the kernel's ephemeral range (32768 and up), picked at random: a port
/// handed out by bind(0) can be taken by some client connection's ephemeral end before the server binds
/// it, which made listeners fail to start when many tests run at once.
/// Ports handed out in this run: two tests picking the same free port before either binds it collided
/// ("Address already in use" in a full run), so a port goes to one caller only.
private let handedOut = Mutex(Set<UInt16>())

func freePort() -> Int {
    while true {
        let port = UInt16.random(in: 15_000..<32_000)
        guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if bound == 0 { return Int(port) }
    }
}

/// The environment of a `wabulk` daemon (and the commands beside it) against a sandbox on loopback: test
/// secrets, the home, the listener's port and short inbox timings; `settings` adds or overrides.
func daemonEnvironment(
    home: URL,
    sandboxPort: Int,
    listenPort: Int,
    secret: String,
    token: String,
    settings: [String: String] = [:]
) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["WHATSAPP_APP_SECRET"] = secret
    env["WHATSAPP_TOKEN"] = token
    env["WHATSAPP_PHONE_NUMBER_ID"] = "106540352242922"
    env["WEBHOOK_VERIFY_TOKEN"] = "verify-\(token)"
    env["WHATSAPP_API_BASE_URL"] = "http://127.0.0.1:\(sandboxPort)"
    env["WABULK_LISTEN"] = "127.0.0.1:\(listenPort)"
    env["WABULK_INBOX_SCAN_SECONDS"] = "0.2"
    env["WABULK_INBOX_SETTLE_SECONDS"] = "0.3"
    env["WABULK_HOME"] = home.path
    env.merge(settings) { _, new in new }
    return env
}

/// The real `wabulk` binary run as a separate process (daemon or sandbox), its output appended to a log.
final class WabulkProcess: @unchecked Sendable {
    let env: [String: String]
    let log: URL
    var process: Process?

    init(env: [String: String], log: URL) {
        self.env = env
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    }

    func start(_ arguments: [String] = ["run"]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: wabulkBinary)
        p.arguments = arguments
        p.environment = env
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
    }

    func kill9() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// SIGINT, the clean stop, and wait for the exit.
    func stop() {
        guard let p = process, p.isRunning else { return }
        p.interrupt()
        p.waitUntilExit()
    }

    deinit {
        if let p = process, p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
    }
}

/// An inbox watcher over a home folder, driven by `scanOnce()` in tests.
enum IntakeFixture {
    static func watcher(_ home: HomeLayout, settle: Double = 0, templatesFile: URL? = nil) throws -> InboxWatcher {
        try home.create()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        let normalizer = try PhoneNormalizer(defaultCountry: "91")
        let events = EventLogWriter(directory: home.log)
        let planner = CampaignPlanner(
            registry: registry,
            normalizer: normalizer,
            spool: Spool(directory: home.spool),
            events: events,
            campaignsDirectory: home.campaigns,
            templatesFile: templatesFile,
            logDirectory: home.log
        )
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return InboxWatcher(
            home: home,
            importer: ContactImporter(registry: registry, normalizer: normalizer),
            planner: planner,
            optOuts: OptOutRecorder(registry: registry, spoolDirectory: home.spool, events: events),
            control: CampaignControl(
                campaignsDirectory: home.campaigns,
                spoolDirectory: home.spool,
                events: events,
                eventsDirectory: home.log
            ),
            scanInterval: .milliseconds(50),
            settleSeconds: settle,
            logger: logger
        )
    }

    static func receipt(_ home: HomeLayout, _ name: String) throws -> Receipt {
        try JSONDecoder().decode(Receipt.self, from: Data(contentsOf: home.receipts.appendingPathComponent("\(name).receipt.json")))
    }
}

/// Runs the tasks of an in-process server (a sandbox, a listener) on a thread of its own instead of Swift's
/// shared pool. The suite runs hundreds of tests at once on a 2-core machine, and some of them hold the
/// pool's threads for seconds (imports, reports); a server on the pool then answered nothing for tens of
/// seconds, and tests waiting for it to come up timed out. A serial dispatch queue runs on libdispatch's
/// overcommitting threads, which are added while others are busy. Child tasks (a service group's services,
/// a server's connections) inherit the preference. One per server, so servers do not wait on each other.
final class ServerExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "wabulk.tests.server-executor")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
