import Foundation
import Logging
import Metrics

/// Whether sending is paused because its records cannot be written (a full disk, a read-only remount).
/// Said once when it starts and once when it ends, not on every retry; `wabulk_storage_paused` is 1 meanwhile.
final class StorageTrouble: @unchecked Sendable {
    private let lock = NSLock()
    private var problem: String?
    private let gauge = Gauge(label: "wabulk_storage_paused")

    var current: String? { lock.withLock { problem } }

    func failed(_ what: String, logger: Logger) {
        let first = lock.withLock { () -> Bool in
            defer { problem = what }
            return problem == nil
        }
        guard first else { return }
        gauge.record(1)
        logger.critical("sending paused: \(what); it resumes by itself once the disk has room again (nothing is dropped)")
    }

    func recovered(logger: Logger) {
        let was = lock.withLock { () -> String? in
            defer { problem = nil }
            return problem
        }
        guard was != nil else { return }
        gauge.record(0)
        logger.notice("sending resumed: records can be written again")
    }
}
