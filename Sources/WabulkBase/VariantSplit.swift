/// Which variant of an A/B campaign a number gets: a stable hash of the campaign id and the number, so a
/// re-plan gives the same split and a report can tell each message's variant from its number alone.
public enum VariantSplit {
    /// The index of the variant for `phone`, `shares` being percentages that sum to 100.
    public static func variant(campaign: String, phone: String, shares: [Int]) -> Int {
        // FNV-1a over "campaign|phone", then a finalizer so nearby numbers spread evenly.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in campaign.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash = (hash ^ 0x7C) &* 0x0000_0100_0000_01B3
        for byte in phone.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        let point = Int(hash % 10_000)
        var bound = 0
        for (i, share) in shares.enumerated() {
            bound += share * 100
            if point < bound { return i }
        }
        return max(shares.count - 1, 0)
    }
}
