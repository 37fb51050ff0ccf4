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
}
