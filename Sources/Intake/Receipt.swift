import Campaigns
import Contacts
import Foundation
import WabulkBase

/// What wabulk did with one dropped file: outbox/receipts/<file>.receipt.json.
public struct Receipt: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case contacts, campaign, control, share, media, unknown }
    public enum Outcome: String, Codable, Sendable { case imported, accepted, rejected, failed }

    public struct CampaignPart: Codable, Sendable, Equatable {
        public var id: String
        public var queued: Int
        public var skipped: [String: Int]
        public var dryRun: Bool
        /// A follow-up: people of the earlier campaign each outcome matched, and those left out for replying.
        public var outcomes: [String: Int]?
        public var repliedLeftOut: Int?
    }

    public var file: String
    public var kind: Kind
    public var outcome: Outcome
    /// One sentence for staff.
    public var message: String
    public var processedAt: String
    public var archivedAs: String?
    public var contacts: ImportSummary?
    public var campaign: CampaignPart?
    public var problems: [ManifestProblem]?
    /// Accepted, but worth knowing (a campaign the messaging limit spreads over days).
    public var warnings: [String]?
    /// The errors CSV beside this receipt, when rows were rejected.
    public var errorsFile: String?
    /// The wa.me link a share request produced.
    public var shareLink: String?

    public init(file: String, kind: Kind, outcome: Outcome, message: String, processedAt: Date) {
        self.file = file
        self.kind = kind
        self.outcome = outcome
        self.message = message
        self.processedAt = Timestamp.format(processedAt)
    }
}

/// The rejected rows of an import as CSV that is safe to open in Excel.
enum ErrorsCSV {
    static func render(_ rows: [RejectedRow]) -> Data {
        var out = "row,column,value,reason\r\n"
        for r in rows {
            out += [String(r.row), r.column, r.value, r.reason].map(SafeCSV.cell).joined(separator: ",") + "\r\n"
        }
        return Data(out.utf8)
    }
}
