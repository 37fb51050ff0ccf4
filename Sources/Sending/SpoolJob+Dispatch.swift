import EventLog
import Foundation
import Logging
import Spool

extension SpoolJob {
    /// The keys every log line about a message carries, so lines can be filtered by job, campaign or attempt
    /// (the phone number is left out: the log is not a contact list).
    func logMetadata(code: Int? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["job": "\(id)", "campaign": "\(campaign)", "attempt": "\(attempt)"]
        if let code { metadata["code"] = "\(code)" }
        return metadata
    }

    /// The start of every event the dispatcher logs about this job's current attempt.
    func dispatchEvent(at time: Date) -> MessageEvent {
        MessageEvent(time: time, campaign: campaign, job: id, phone: phone, attempt: attempt, source: EventSource.dispatch.rawValue)
    }
}
