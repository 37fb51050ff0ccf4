import Foundation

/// Whether two variants' read rates differ by more than chance: a two-proportion z-test (pooled), its
/// two-sided p-value, and the people each variant would need for the difference seen to show at the 5% level
/// with 80% power.
struct ReadRateTest: Equatable {
    var z: Double
    var pValue: Double
    /// Per variant; nil when the rates are equal (no sample shows a difference of zero).
    var sampleNeeded: Int?

    /// `read` of `delivered` for each of the two variants; nil when either has no delivered message.
    init?(read a: Int, of n: Int, against b: Int, of m: Int) {
        guard n > 0, m > 0 else { return nil }
        let p1 = Double(a) / Double(n)
        let p2 = Double(b) / Double(m)
        let pooled = Double(a + b) / Double(n + m)
        let se = (pooled * (1 - pooled) * (1 / Double(n) + 1 / Double(m))).squareRoot()
        z = se == 0 ? 0 : (p1 - p2) / se
        pValue = erfc(abs(z) / 2.0.squareRoot())
        let mean = (p1 + p2) / 2
        let zAlpha = 1.959_963_984_540_054
        let zBeta = 0.841_621_233_572_914
        if p1 == p2 {
            sampleNeeded = nil
        } else {
            let top = zAlpha * (2 * mean * (1 - mean)).squareRoot() + zBeta * (p1 * (1 - p1) + p2 * (1 - p2)).squareRoot()
            sampleNeeded = Int((top * top / ((p1 - p2) * (p1 - p2))).rounded(.up))
        }
    }
}
