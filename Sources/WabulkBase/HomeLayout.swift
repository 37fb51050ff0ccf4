import Foundation

/// Where everything lives inside one wabulk home folder (product.md, "The home folder").
public struct HomeLayout: Sendable, Equatable {
    public let root: URL
    /// The two folders shared with staff: inside the home unless `inboxDir`/`outboxDir` put them elsewhere
    /// (then only they need be shared, and the home with wabulk.json and var/ stays the operator's).
    public let inbox: URL
    public let outbox: URL

    public init(root: URL, inbox: URL? = nil, outbox: URL? = nil) {
        self.root = root.standardizedFileURL
        self.inbox = (inbox ?? self.root.appendingPathComponent("inbox", isDirectory: true)).standardizedFileURL
        self.outbox = (outbox ?? self.root.appendingPathComponent("outbox", isDirectory: true)).standardizedFileURL
    }

    /// This home with the shared folders the settings name (absolute, or relative to the home; empty: inside it).
    public func sharing(inbox: String, outbox: String) -> HomeLayout {
        func place(_ path: String) -> URL? {
            guard !path.isEmpty else { return nil }
            return path.hasPrefix("/") ? URL(fileURLWithPath: path, isDirectory: true) : root.appendingPathComponent(path, isDirectory: true)
        }
        return HomeLayout(root: root, inbox: place(inbox), outbox: place(outbox))
    }

    /// `--home DIR`, else `WABULK_HOME`, else the current directory.
    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> HomeLayout {
        let path = option ?? environment["WABULK_HOME"] ?? FileManager.default.currentDirectoryPath
        return HomeLayout(root: URL(fileURLWithPath: path, isDirectory: true))
    }

    public var receipts: URL { outbox.appendingPathComponent("receipts", isDirectory: true) }
    public var reports: URL { outbox.appendingPathComponent("reports", isDirectory: true) }
    public var share: URL { outbox.appendingPathComponent("share", isDirectory: true) }
    public var archive: URL { outbox.appendingPathComponent("archive", isDirectory: true) }
    /// Files set aside after their processing was cut short twice, with a receipt saying so.
    public var rejected: URL { outbox.appendingPathComponent("rejected", isDirectory: true) }
    public var state: URL { root.appendingPathComponent("var", isDirectory: true) }
    public var spool: URL { state.appendingPathComponent("spool", isDirectory: true) }
    public var log: URL { state.appendingPathComponent("log", isDirectory: true) }
    public var campaigns: URL { state.appendingPathComponent("campaigns", isDirectory: true) }
    /// Files taken from inbox/ wait here while they are processed, so a crash can resume them.
    public var intake: URL { state.appendingPathComponent("intake", isDirectory: true) }
    public var contactsDatabase: URL { state.appendingPathComponent("contacts.sqlite") }
    /// Files for media headers, taken from inbox/ (Intake writes them; the dispatcher uploads them).
    public var media: URL { state.appendingPathComponent("media", isDirectory: true) }
    public var configurationFile: URL { root.appendingPathComponent("wabulk.json") }
    /// The approved templates manifests are checked against (Meta's message_templates shape).
    public var templatesFile: URL { state.appendingPathComponent("templates.json") }

    /// Creates every folder the daemon writes to.
    public func create() throws {
        for dir in [inbox, receipts, reports, share, archive, spool, log, campaigns, intake, media] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
    }
}
