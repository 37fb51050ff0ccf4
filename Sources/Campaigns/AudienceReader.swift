import Contacts
import Foundation

/// Reads a manifest's audience a batch at a time in a fixed order (phone order from the registry, or the
/// manifest's own order for a list of numbers), so planning can stop anywhere and go on from a cursor.
struct AudienceReader {
    let registry: ContactRegistry
    let batchSize: Int
    private let query: AudienceQuery?
    /// A manifest's own numbers, normalized and without repeats, and the ones that are not numbers.
    private let listed: [String]
    private let invalid: [CampaignPlanner.Skip]
    private let excluded: Set<String>

    /// `resolved`: a follow-up's people, already E.164 (`FollowUpAudience`), read in that order.
    /// People left out whatever the audience says (a recurring campaign's last occurrence reached them).
    private let excludedPhones: Set<String>

    init(
        _ audience: CampaignManifest.Audience,
        registry: ContactRegistry,
        normalizer: PhoneNormalizer,
        batchSize: Int,
        resolved: [String]? = nil,
        excludingPhones: Set<String> = []
    ) {
        self.registry = registry
        self.batchSize = batchSize
        excludedPhones = excludingPhones
        let excludedTags = audience.excludeTags ?? []
        excluded = Set(excludedTags.map(ContactRegistry.tagKey))
        if let resolved {
            query = nil
            listed = resolved
            invalid = []
        } else if let phones = audience.phones {
            query = nil
            var seen = Set<String>()
            var listed: [String] = []
            var invalid: [CampaignPlanner.Skip] = []
            for raw in phones {
                switch normalizer.normalize(raw) {
                case .valid(let e164): if seen.insert(e164).inserted { listed.append(e164) }
                case .invalid(let reason): invalid.append(.init(contact: Contact(phone: raw), reason: "invalid number: \(reason)"))
                }
            }
            self.listed = listed
            self.invalid = invalid
        } else {
            let selection: AudienceQuery.Selection =
                if let tags = audience.tags { audience.match == .all ? .allTags(tags) : .anyTag(tags) } else { .everyone }
            query = AudienceQuery(selection, excluding: excludedTags)
            listed = []
            invalid = []
        }
    }

    struct Batch {
        var contacts: [Contact]
        /// Entries of a manifest's list that are not phone numbers (first batch only).
        var invalid: [CampaignPlanner.Skip]
        /// Where the next batch starts; nil: this was the last.
        var cursor: String?
    }

    func batch(after cursor: String?) throws(ContactsError) -> Batch {
        if let query {
            let batch = try registry.audienceBatch(query, after: cursor, limit: batchSize)
            let contacts = excludedPhones.isEmpty ? batch.contacts : batch.contacts.filter { !excludedPhones.contains($0.phone) }
            return Batch(contacts: contacts, invalid: [], cursor: batch.cursor)
        }
        let start = cursor.flatMap(Int.init) ?? 0
        let end = min(listed.count, start + batchSize)
        let phones = Array(listed[min(start, end)..<end])
        let stored = try registry.contacts(phones: phones)
        let contacts = phones.map { stored[$0] ?? Contact(phone: $0) }.filter { contact in
            !excludedPhones.contains(contact.phone) && (excluded.isEmpty || !contact.tags.contains { excluded.contains(ContactRegistry.tagKey($0)) })
        }
        return Batch(contacts: contacts, invalid: cursor == nil ? invalid : [], cursor: end < listed.count ? String(end) : nil)
    }
}
