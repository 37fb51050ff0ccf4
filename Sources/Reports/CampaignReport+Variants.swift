import EventLog
import Foundation
import WabulkBase

/// The Variants sheet of an A/B test's report: each variant's numbers, and whether its read rate differs from
/// the first variant's by more than chance.
extension CampaignReport {
    func writeVariants(_ sheet: XLSXSheet, campaign: String, variants: [ReportScope.CampaignInfo.Variant]) {
        let headers = [
            "Variant", "Template", "Share", "Messages", "Sent", "Delivered", "Read", "Failed", "Replied", "Delivery rate", "Read rate",
            "Read rate vs A: p-value", "Significant (p < 0.05)", "People needed per variant",
        ]
        sheet.write(row: 0, headers.map { .text($0) }, style: .header)
        sheet.setColumnWidths([9, 28, 7, 10, 8, 10, 8, 8, 8, 13, 10, 22, 20, 24])
        sheet.freezeHeader()
        let shares = variants.map(\.share)
        var counts = [CampaignCounts](repeating: CampaignCounts(), count: variants.count)
        var replied = [Int](repeating: 0, count: variants.count)
        // Who replied, and when: a message counts as replied to when its person wrote after it was sent.
        var lastReply: [String: Int] = [:]
        for r in ledger.replies where !(r.wamid.map(ledger.optOutReplies.contains) ?? false) {
            lastReply[r.phone] = max(lastReply[r.phone] ?? r.time, r.time)
        }
        ledger.forEach(campaign: campaign, texts: true) { m in
            guard scope.includes(m), let phone = m.phone else { return }
            let v = VariantSplit.variant(campaign: campaign, phone: phone, shares: shares)
            counts[v].add(m)
            if let sent = m.sentAt, let at = lastReply[phone], at >= sent { replied[v] += 1 }
        }
        for (i, variant) in variants.enumerated() {
            let c = counts[i]
            var row: [XLSXSheet.Cell] = [
                .text(String(UnicodeScalar(UInt8(65 + i)))), .text("\(variant.template) (\(variant.language))"),
                .percent(Double(variant.share) / 100),
                .integer(c.total), .integer(c.sent), .integer(c.delivered), .integer(c.read), .integer(c.failed), .integer(replied[i]),
                .percent(c.deliveryRate), .percent(c.readRate),
            ]
            if i > 0, let test = ReadRateTest(read: c.read, of: c.delivered, against: counts[0].read, of: counts[0].delivered) {
                row += [
                    .number(test.pValue), .text(test.pValue < 0.05 ? "yes" : "no"), test.sampleNeeded.map { .integer($0) } ?? .text("rates equal"),
                ]
            } else {
                row += [.empty, .empty, .empty]
            }
            sheet.write(row: i + 1, row)
        }
    }
}
