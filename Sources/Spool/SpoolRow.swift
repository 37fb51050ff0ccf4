import Foundation

/// A job as the values of its spool row, encoded once: the planner encodes a batch's rows on its reading
/// thread, so the spool's single writer only binds and steps (encoding there was a tenth of spooling a
/// million jobs).
public struct SpoolRow: Sendable {
    let id: String
    let campaign: String
    let notBefore: Date?
    /// Every column, in `Spool.insert`'s order.
    let values: [RawInsert.Value]

    /// `window`: the job's send window as `encodeWindow` wrote it (given once for a whole campaign); `at`: the
    /// time the row is written (`updated_at`).
    public init(_ job: SpoolJob, window: String?, at time: Date) {
        id = job.id
        campaign = job.campaign
        notBefore = job.notBefore
        let parameters = job.template.parameters
        values = [
            .text(job.id), .text(job.campaign), job.notBefore.map { .real($0.timeIntervalSince1970) } ?? .null,
            .text(job.phone), .text(job.name), .text(job.template.name), .text(job.template.language),
            .text(parameters.headerColumn), .text(parameters.bodyColumn), .text(parameters.buttonsColumn),
            .integer(job.attempt), job.campaignRate.map { .text($0) } ?? .null, window.map { .text($0) } ?? .null,
            job.template.category.map { .text($0) } ?? .null, .real(time.timeIntervalSince1970),
        ]
    }

    public init(_ job: SpoolJob, at time: Date) {
        self.init(job, window: job.window.map(Self.encodeWindow), at: time)
    }

    /// The `window` column of a send window.
    public static func encodeWindow(_ window: SendWindowSchedule) -> String {
        (try? JSONEncoder().encode(window)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
