import Foundation

/// The daemon's time of day for schedules: when a campaign's occurrence is due, when a job may go, what a plan
/// records as its creation.
///
/// The system clock in production. A test of a schedule that spans weeks (a weekly campaign on three Mondays)
/// starts the real daemon with `WABULK_CLOCK_FILE` naming a file that holds an ISO 8601 time: the clock reads
/// that time plus the seconds since the file was last written, so it runs at real speed from wherever the test
/// last set it. An unreadable file or time falls back to the system clock.
public struct WallClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = WallClock(now: Date.init)

    public static let fileVariable = "WABULK_CLOCK_FILE"

    /// The clock `WABULK_CLOCK_FILE` names, or the system clock.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> (clock: WallClock, file: String?) {
        guard let path = environment[fileVariable], !path.isEmpty else { return (.system, nil) }
        return (following(file: URL(fileURLWithPath: path)), path)
    }

    public static func following(file: URL) -> WallClock {
        let cache = FileTime(file: file)
        return WallClock { cache.now() }
    }

    /// Re-reads the file only when its modification time changes: `now()` runs for every job claimed.
    private final class FileTime: @unchecked Sendable {
        let file: URL
        private let lock = NSLock()
        private var seen: (modified: Date, time: Date)?

        init(file: URL) { self.file = file }

        func now() -> Date {
            let real = Date()
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date else {
                return real
            }
            let time: Date? = lock.withLock {
                if let seen, seen.modified == modified { return seen.time }
                guard let data = try? Data(contentsOf: file),
                    let time = Timestamp.parse(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                else { return nil }
                seen = (modified, time)
                return time
            }
            guard let time else { return real }
            return time.addingTimeInterval(max(0, real.timeIntervalSince(modified)))
        }
    }
}
