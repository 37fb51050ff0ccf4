import CloudAPI
import Foundation
import WabulkBase

/// Fetches every page of the business account's templates and replaces the cache only when the whole
/// list arrived; on failure the last good list stays and the failure is recorded beside it.
public struct TemplateSync: Sendable {
    public let client: CloudAPIClient
    public let businessAccountID: String
    public let cacheFile: URL
    public var pageSize = 100
    /// Meta's management-call budget answers 4, 80007 and 80008 (and transient failures) are retried
    /// this many times, waiting `backoff` × 2^n between tries.
    public var attempts = 4
    public var backoff: Duration = .seconds(30)
    /// Injected so tests do not wait real minutes.
    public var sleep: @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    public var now: @Sendable () -> Date = Date.init

    public init(client: CloudAPIClient, businessAccountID: String, cacheFile: URL) {
        self.client = client
        self.businessAccountID = businessAccountID
        self.cacheFile = cacheFile
    }

    /// Codes that mean "the management budget is spent for now": wait and ask again.
    static let budgetCodes: Set<Int> = [4, 80007, 80008]

    public struct Result: Sendable, Equatable {
        public var templates: Int
        public var pages: Int
        public init(templates: Int, pages: Int) {
            self.templates = templates
            self.pages = pages
        }
    }

    /// Refreshes the cache. On failure the cache keeps its list, records why, and the error is thrown.
    @discardableResult
    public func refresh() async throws(TemplateError) -> Result {
        do throws(TemplateError) {
            let (templates, pages) = try await fetchAll()
            let cache = TemplateCache(fetchedAt: Timestamp.format(now()), data: templates)
            try cache.save(cacheFile)
            return Result(templates: templates.count, pages: pages)
        } catch {
            var cache = (try? TemplateCache.load(cacheFile)) ?? TemplateCache(data: [])
            cache.lastRefreshFailure = .init(at: Timestamp.format(now()), reason: error.description)
            try? cache.save(cacheFile)
            throw error
        }
    }

    func fetchAll() async throws(TemplateError) -> ([MessageTemplate], Int) {
        var all: [MessageTemplate] = []
        var after: String?
        var page = 0
        repeat {
            page += 1
            let got = try await fetchPage(after: after, page: page)
            all += got.templates
            after = got.after
        } while after != nil
        return (all, page)
    }

    func fetchPage(after: String?, page: Int) async throws(TemplateError) -> TemplatePage {
        var attempt = 0
        while true {
            attempt += 1
            let failure: TemplateError
            switch await client.templatePage(businessAccountID: businessAccountID, after: after, limit: pageSize) {
            case .page(let p): return p
            case .rejected(let error, _):
                failure = .rejected(error, page: page)
                guard Self.budgetCodes.contains(error.code) || MetaErrorCatalog.entry(for: error.code).action == .retry else { throw failure }
            case .transportFailure(let reason, _):
                failure = .unreachable(reason: reason, page: page)
            }
            guard attempt < attempts else { throw failure }
            await sleep(backoff * (1 << (attempt - 1)))
        }
    }
}
