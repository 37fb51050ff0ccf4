import CloudAPI
import Foundation
import WabulkBase

/// var/templates.json: the last good template list from Meta with the time it was fetched, and the
/// outcome of the latest refresh. A failed refresh keeps the list and only records the failure.
/// An operator may also write the file by hand in Meta's own shape (`{"data": [...]}` or a bare list).
public struct TemplateCache: Sendable, Equatable, Codable {
    public struct RefreshFailure: Sendable, Equatable, Codable {
        public var at: String
        public var reason: String
        public init(at: String, reason: String) {
            self.at = at
            self.reason = reason
        }
    }

    public var fetchedAt: String?
    public var data: [MessageTemplate]
    /// Set when the latest refresh failed; cleared by the next good one.
    public var lastRefreshFailure: RefreshFailure?

    public init(fetchedAt: String? = nil, data: [MessageTemplate], lastRefreshFailure: RefreshFailure? = nil) {
        self.fetchedAt = fetchedAt
        self.data = data
        self.lastRefreshFailure = lastRefreshFailure
    }

    /// nil when there is no file; a file that does not decode is an error naming the file.
    public static func load(_ url: URL) throws(TemplateError) -> TemplateCache? {
        guard let bytes = FileManager.default.contents(atPath: url.path) else { return nil }
        if let cache = try? JSONDecoder().decode(TemplateCache.self, from: bytes) { return cache }
        if let list = try? JSONDecoder().decode([MessageTemplate].self, from: bytes) { return TemplateCache(data: list) }
        throw .unreadableCache(path: url.path)
    }

    public func save(_ url: URL) throws(TemplateError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try AtomicFile.write(try encoder.encode(self), to: url) } catch {
            throw .cannotWrite(path: url.path, reason: "\(error)")
        }
    }

    public func template(name: String, language: String) -> MessageTemplate? {
        data.first { $0.name == name && $0.language == language }
    }

    /// A status webhook (message_template_status_update) changes one template's status; true when it
    /// was in the cache.
    public mutating func setStatus(_ status: String, name: String, language: String) -> Bool {
        guard let i = data.firstIndex(where: { $0.name == name && $0.language == language }) else { return false }
        data[i].status = status.uppercased()
        return true
    }
}
