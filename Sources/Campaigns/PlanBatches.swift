import Contacts
import EventLog
import Foundation
import Spool
import WabulkBase

/// One campaign's audience turned into jobs and skips a batch at a time, each batch carrying the progress
/// that follows it: what `CampaignPlanner` writes in one go, and resumes from after a crash.
struct PlanBatches {
    let manifest: CampaignManifest
    let reader: AudienceReader
    /// What a contact can be sent: the manifest's template, or one per variant of an A/B test.
    let choices: [Choice]
    private let shares: [Int]
    private let start: Date?
    private let window: SendWindowSchedule?
    private let windowColumn: String?

    /// The time the lines are stamped with.
    let now: @Sendable () -> Date

    struct Choice {
        var template: CampaignManifest.Template
        var rendering: VariableRendering
        /// The template's category (nil: unknown, which counts as marketing).
        var category: String?
    }

    /// The rest of an A/B test: only those its holdout kept back.
    private let heldOutOf: (campaign: String, holdout: Int)?

    init(
        manifest: CampaignManifest,
        reader: AudienceReader,
        choices: [Choice],
        heldOutOf: (campaign: String, holdout: Int)? = nil,
        now: @escaping @Sendable () -> Date
    ) {
        self.heldOutOf = heldOutOf
        self.now = now
        self.manifest = manifest
        self.reader = reader
        self.choices = choices
        shares = manifest.variants?.map(\.share) ?? [100]
        start = manifest.startAt.flatMap(Timestamp.parse)
        window = manifest.sendWindow.flatMap { SendWindowSchedule(from: $0.from, to: $0.to, timezone: $0.timezone) }
        windowColumn = window.map(SpoolRow.encodeWindow)
    }

    struct Batch: Sendable {
        var jobs: [SpoolJob]
        /// The jobs as spool rows, encoded on the reading thread.
        var rows: [SpoolRow] = []
        /// Their `queued` lines and the skips' `skipped` lines.
        var lines: [MessageEvent] = []
        /// Each with its line's number (`<campaign>.skip-N`).
        var skips: [(number: Int, skip: CampaignPlanner.Skip)]
        /// How far planning has come once this batch is written.
        var progress: PlanProgress

        /// A `queued` line per job and a `skipped` line per skip.
        func events(at stamp: Date) -> [MessageEvent] {
            var lines = jobs.map {
                MessageEvent(
                    time: stamp,
                    status: .queued,
                    campaign: $0.campaign,
                    job: $0.id,
                    phone: $0.phone,
                    name: $0.name,
                    source: EventSource.campaign.rawValue
                )
            }
            for (number, skip) in skips {
                lines.append(
                    MessageEvent(
                        time: stamp,
                        status: .skipped,
                        campaign: progress.campaign,
                        job: "\(progress.campaign).skip-\(number)",
                        phone: skip.contact.phone,
                        name: skip.contact.name,
                        reason: skip.reason,
                        // A number not to message is skipped by the opt-out rule; the report counts those by it.
                        source: (skip.suppressed ? EventSource.optOut : EventSource.campaign).rawValue
                    )
                )
            }
            return lines
        }
    }

    /// Whether `phone` is in the share of an A/B test's audience that waits for the winner.
    static func heldOut(_ campaign: String, _ phone: String, _ holdout: Int) -> Bool {
        VariantSplit.variant(campaign: campaign + "#holdout", phone: phone, shares: [100 - holdout, holdout]) == 1
    }

    /// The batch after `progress`; `encoded`: with its spool rows and log lines (counting needs neither).
    func next(after progress: PlanProgress, encoded: Bool = true) throws(ContactsError) -> Batch {
        let read = try reader.batch(after: progress.cursor)
        var batch = Batch(jobs: [], skips: [], progress: progress)
        func skip(_ s: CampaignPlanner.Skip) {
            batch.progress.skipped[s.reason, default: 0] += 1
            batch.skips.append((progress.skips + batch.skips.count + 1, s))
        }
        read.invalid.forEach(skip)
        for contact in read.contacts {
            // A test on a sample: the held-out people wait for the winner (`WinnerPicker` plans them).
            if let holdout = manifest.holdout, Self.heldOut(manifest.id, contact.phone, holdout) { continue }
            if let (test, holdout) = heldOutOf, !Self.heldOut(test, contact.phone, holdout) { continue }
            let choice = choices.count == 1 ? choices[0] : choices[VariantSplit.variant(campaign: manifest.id, phone: contact.phone, shares: shares)]
            if let reason = CampaignPlanner.unreachable(contact, category: choice.category) {
                skip(reason)
                continue
            }
            switch choice.rendering.parameters(for: contact) {
            case .success(let parameters):
                batch.jobs.append(
                    SpoolJob(
                        campaign: manifest.id,
                        sequence: progress.jobs + batch.jobs.count + 1,
                        phone: contact.phone,
                        name: contact.name,
                        template: .init(
                            name: choice.template.name,
                            language: choice.template.language,
                            parameters: parameters,
                            category: choice.category
                        ),
                        notBefore: start,
                        campaignRate: manifest.rate,
                        window: window
                    )
                )
            case .failure(let missing):
                skip(.init(contact: contact, reason: "no value for {\(missing.field)}"))
            }
        }
        batch.progress.jobs += batch.jobs.count
        batch.progress.cursor = read.cursor
        batch.progress.finished = read.cursor == nil
        guard encoded else { return batch }
        let stamp = now()
        batch.rows = batch.jobs.map { SpoolRow($0, window: windowColumn, at: stamp) }
        batch.lines = batch.events(at: stamp)
        return batch
    }
}
