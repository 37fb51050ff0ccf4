/// Whom a campaign's audience names in the registry: everyone, or the carriers of some tags (any or all of
/// them), less the carriers of excluded tags. Tags are compared by `ContactRegistry.tagKey`.
public struct AudienceQuery: Sendable, Equatable {
    public enum Selection: Sendable, Equatable {
        case everyone
        case anyTag([String])
        case allTags([String])
    }

    public var selection: Selection
    public var excludedTags: [String]

    public init(_ selection: Selection, excluding excludedTags: [String] = []) {
        func keys(_ tags: [String]) -> [String] {
            var seen = Set<String>()
            return tags.map(ContactRegistry.tagKey).filter { seen.insert($0).inserted }
        }
        switch selection {
        case .everyone: self.selection = .everyone
        case .anyTag(let tags): self.selection = .anyTag(keys(tags))
        case .allTags(let tags): self.selection = .allTags(keys(tags))
        }
        self.excludedTags = keys(excludedTags)
    }

    /// One batch of the audience in phone order, and where the next one starts (nil: this was the last).
    public struct Batch: Sendable {
        public var contacts: [Contact]
        /// The last number this batch looked at; the next batch reads the numbers after it.
        public var cursor: String?
    }
}
