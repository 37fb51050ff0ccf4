import Logging

extension MessageEvent {
    /// The keys an operator filters the daemon's log on (`job`, `campaign`, `attempt`, `code`, `phone`,
    /// `template`, `wamid`, `user`), for every line written about this event; only those the event has.
    public var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        if let job { metadata["job"] = "\(job)" }
        if let campaign { metadata["campaign"] = "\(campaign)" }
        if let attempt { metadata["attempt"] = "\(attempt)" }
        if let errorCode { metadata["code"] = "\(errorCode)" }
        if let phone { metadata["phone"] = "\(phone)" }
        if let template { metadata["template"] = "\(template)" }
        if let wamid { metadata["wamid"] = "\(wamid)" }
        if let userID { metadata["user"] = "\(userID)" }
        return metadata
    }
}
