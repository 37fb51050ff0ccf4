import ArgumentParser
import CloudAPI
import Foundation
import Reports
import Templates
import WabulkBase

struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "The message templates Meta has for the business account, cached in var/templates.json.",
        subcommands: [Sync.self, List.self]
    )

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch every template from Meta (all pages), refresh the cache and outbox/templates.xlsx."
        )
        @OptionGroup var homeOptions: HomeOptions
        @Option(help: "Templates per page asked of Meta (1…100).")
        var pageSize = 100

        func run() async throws {
            let (home, settings) = try homeOptions.layout()
            let sync = try TemplateRefresher.sync(home: home, settings: settings, credentials: .fromEnvironment(), pageSize: pageSize)
            do {
                let result = try await sync.refresh()
                try TemplateRefresher.writeWorkbook(home: home)
                print(
                    "\(result.templates) templates in \(result.pages) page\(result.pages == 1 ? "" : "s"); cache \(home.templatesFile.path), sheet \(home.outbox.appendingPathComponent("templates.xlsx").path)"
                )
            } catch {
                throw ValidationError("\(error); the previous cache is kept")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the cached templates.")
        @OptionGroup var homeOptions: HomeOptions
        @Flag(help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let home = HomeLayout.resolve(option: homeOptions.home)
            guard let cache = try TemplateCache.load(home.templatesFile) else {
                throw ValidationError("no template cache yet: run `wabulk templates sync`")
            }
            if json {
                struct Row: Encodable {
                    var name, language, status, category: String
                    var parameterFormat: String
                    var placeholders: [String: [String]]
                }
                struct Listing: Encodable {
                    var fetchedAt: String?
                    var lastRefreshFailure: TemplateCache.RefreshFailure?
                    var templates: [Row]
                }
                let rows = cache.data.map { t in
                    Row(
                        name: t.name,
                        language: t.language,
                        status: t.status,
                        category: t.category ?? "",
                        parameterFormat: t.parameterFormat ?? "POSITIONAL",
                        placeholders: ["header": t.headerPlaceholders, "body": t.bodyPlaceholders, "buttons": t.buttonPlaceholders]
                    )
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let listing = Listing(fetchedAt: cache.fetchedAt, lastRefreshFailure: cache.lastRefreshFailure, templates: rows)
                print(String(decoding: try encoder.encode(listing), as: UTF8.self))
                return
            }
            print("fetched at \(cache.fetchedAt ?? "unknown (written by hand)")")
            if let failure = cache.lastRefreshFailure { print("last refresh FAILED at \(failure.at): \(failure.reason); showing the last good list") }
            for t in cache.data.sorted(by: { ($0.name, $0.language) < ($1.name, $1.language) }) {
                let ph =
                    t.headerPlaceholders.map { "header {{\($0)}}" } + t.bodyPlaceholders.map { "{{\($0)}}" }
                    + t.buttonPlaceholders.map { "button {{\($0)}}" }
                print("\(t.name)\t\(t.language)\t\(t.status)\t\(t.category ?? "")\t\(ph.joined(separator: " "))")
            }
        }
    }
}

/// Builds the template sync from settings and credentials; the daemon uses it for its periodic refresh.
enum TemplateRefresher {
    static func sync(home: HomeLayout, settings: Settings, credentials: Credentials, pageSize: Int = 100) throws -> TemplateSync {
        let (token, phoneNumberID) = try credentials.requireForSending()
        guard let account = credentials.businessAccountID else { throw SettingsError.missingSecret(name: "WHATSAPP_BUSINESS_ACCOUNT_ID") }
        let client = CloudAPIClient(
            baseURL: settings.apiBaseURL,
            version: settings.apiVersion,
            phoneNumberID: phoneNumberID,
            token: token,
            timeout: settings.requestTimeoutSeconds
        )
        var sync = TemplateSync(client: client, businessAccountID: account, cacheFile: home.templatesFile)
        sync.pageSize = min(max(pageSize, 1), 100)
        return sync
    }

    static func writeWorkbook(home: HomeLayout) throws {
        guard let cache = try TemplateCache.load(home.templatesFile) else { return }
        try TemplatesWorkbook.write(cache.data, fetchedAt: cache.fetchedAt, to: home.outbox.appendingPathComponent("templates.xlsx"))
    }
}
