import Foundation
import WabulkBase

/// Notes which webhook fields arrive, for the status's warnings about fields that never come or stopped
/// coming. Saved when a field arrives for the first time, else at most every two seconds: the listener takes
/// thousands of POSTs a second.
final class WebhookArrivalRecorder: @unchecked Sendable {
    let file: URL
    private let lock = NSLock()
    private var arrivals: WebhookArrivals
    private var savedAt = Date.distantPast
    private let saves = DispatchQueue(label: "wabulk.webhook-arrivals")

    init(file: URL) {
        self.file = file
        arrivals = WebhookArrivals.load(file)
    }

    func record(_ fields: Set<WebhookField>, statuses: Bool, at time: Date) {
        guard !fields.isEmpty else { return }
        let stamp = Timestamp.format(time)
        let snapshot: WebhookArrivals? = lock.withLock {
            var isNew = false
            for field in fields {
                isNew = isNew || arrivals.fields[field.rawValue] == nil
                arrivals.fields[field.rawValue] = stamp
            }
            if statuses {
                isNew = isNew || arrivals.statuses == nil
                arrivals.statuses = stamp
            }
            guard isNew || time.timeIntervalSince(savedAt) >= 2 else { return nil }
            savedAt = time
            return arrivals
        }
        // Written off the caller's thread: it is the event log's sync thread, which the next group commit waits for.
        guard let snapshot else { return }
        saves.async { [file] in try? snapshot.save(file) }
    }
}
