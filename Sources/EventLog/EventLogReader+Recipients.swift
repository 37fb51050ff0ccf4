import Foundation
import WabulkBase

extension EventLogReader {
    /// Each message the dispatcher sent (its `sent` lines) between `since` and `until`: who and when. Only
    /// the day files that can hold such lines are read, each line decoded only when it is a `sent` one.
    public func messagesSent(since: Date, until: Date) -> [(phone: String, at: Date)] {
        let firstDay = "events-\(Timestamp.day(since)).jsonl"
        let marker = Array(#""status":"sent""#.utf8)
        var found: [(phone: String, at: Date)] = []
        for file in files() where file.lastPathComponent >= firstDay {
            _ = EventLogScanner.scan(file, from: 0) { line, _ in
                guard EventLogTail.find(marker, in: line), let event = MessageEvent(line: line), event.status == .sent,
                    event.origin == .dispatch, let phone = event.phone, let at = event.date, at > since, at <= until
                else { return }
                found.append((phone, at))
            }
        }
        return found
    }
}
