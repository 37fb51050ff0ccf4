import Dispatch
import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// Appends events to `var/log/events-YYYY-MM-DD.jsonl`. Each batch is one `write(2)` on an O_APPEND
/// descriptor, so lines from concurrent writers (even other processes) never interleave.
///
/// Durable appends use group commit: an append returns once an fdatasync that began after its write
/// has finished. While one sync runs, later writes pile up and share the next one, so a thousand
/// callers a second cost a handful of syncs, not a thousand. The webhook listener's 200 and the
/// dispatcher's "may have left" marker both wait for this.
public final class EventLogWriter: @unchecked Sendable {
    /// Told once the lines are durable (or could not be made so). Runs on the writer's sync thread or on
    /// the caller's, outside the writer's lock: it must not block.
    public typealias Completion = @Sendable (Result<Void, any Error>) -> Void

    private let directory: URL
    /// Guards everything below. A lock, not an actor: the webhook listener appends from its event loops
    /// and is told on the sync thread, with no task hop on either side (one per request cost a third of
    /// the listener's time under load).
    private let lock = NSLock()
    private var openDay: String?
    private var fd: Int32 = -1
    /// Writes so far, the generation covered by the last finished sync, and whether a sync runs now.
    private var written: UInt64 = 0
    private var synced: UInt64 = 0
    private var syncing = false
    private var waiters: [(generation: UInt64, done: Completion)] = []
    private let syncQueue = DispatchQueue(label: "wabulk.eventlog.sync")
    /// Descriptors of earlier days, closed once the sync using them finishes.
    private var retired: [Int32] = []

    public init(directory: URL) {
        self.directory = directory
    }

    public func append(_ event: MessageEvent, durable: Bool = true) async throws {
        try await append([event], durable: durable)
    }

    /// The lines are made before the lock is taken, so callers on other threads encode in parallel.
    public func append(_ events: [MessageEvent], durable: Bool = true) async throws {
        guard !events.isEmpty else { return }
        let bytes = Self.lines(events)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            append(lines: bytes, day: String(events[0].time.prefix(10)), durable: durable) { continuation.resume(with: $0) }
        }
    }

    /// `events` as log lines, each ending in a newline.
    public static func lines(_ events: [MessageEvent]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(events.count * 256 + (events.first?.raw?.utf8.count ?? 0) * 2)
        for event in events {
            EventLine.append(event, to: &bytes)
            bytes.append(0x0A)
        }
        return bytes
    }

    /// Appends whole lines (each ending in a newline) to `day`'s file (or a later day's already begun);
    /// `done` is told once they are durable (at once, for a non-durable append).
    public func append(lines bytes: [UInt8], day: String, durable: Bool, done: @escaping Completion) {
        var answers: [(Completion, Result<Void, any Error>)] = []
        lock.lock()
        do {
            try ensureOpen(day: day, answers: &answers)
            if durable && syncing {
                // A sync is running and this caller waits for the next one anyway: its lines join the others
                // that arrive meanwhile and all go out in one write(2) when the sync ends.
                pending += bytes
                written += 1
            } else {
                try writeOut(pending + bytes, day: day)
                pending = []
                written += 1
                inFile = written
            }
        } catch {
            lock.unlock()
            Self.answer(answers)
            done(.failure(error))
            return
        }
        if durable {
            waiters.append((written, done))
            startSyncIfNeeded(answers: &answers)
        } else {
            answers.append((done, .success(())))
        }
        lock.unlock()
        Self.answer(answers)
    }

    private static func answer(_ answers: [(Completion, Result<Void, any Error>)]) {
        for (done, result) in answers { done(result) }
    }

    /// Lines held back while a sync ran, and the last generation whose bytes are in the file.
    private var pending: [UInt8] = []
    private var inFile: UInt64 = 0

    /// Set when a write stopped part-way (a full disk): the file may end in half a line, which is cut back
    /// (and kept in torn/) before anything else is written, so the next line is not glued to it.
    private var mayBeTorn = false

    private func writeOut(_ bytes: [UInt8], day: String) throws {
        guard !bytes.isEmpty else { return }
        if mayBeTorn {
            try TornTail.repair(fd: fd, file: path(day))
            mayBeTorn = false
        }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failure = n < 0 ? errno : ENOSPC
                    if offset > 0 { mayBeTorn = true }
                    return
                }
                offset += n
            }
        }
        if failure != 0 { throw FileError.cannotWrite(path: path(day).path, errno: failure) }
    }

    private func startSyncIfNeeded(answers: inout [(Completion, Result<Void, any Error>)]) {
        if !syncing, !pending.isEmpty, fd >= 0 {
            do {
                try writeOut(pending, day: openDay ?? "")
                pending = []
                inFile = written
            } catch {
                failWaiters(through: written, error: errno == 0 ? EIO : errno, answers: &answers)
                pending = []
                return
            }
        }
        guard !syncing, synced < inFile, fd >= 0 else { return }
        syncing = true
        let target = inFile
        let descriptor = fd
        syncQueue.async {
            let result = fdatasync(descriptor) == 0 ? Int32(0) : errno
            self.finishSync(through: target, error: result)
        }
    }

    private func failWaiters(through generation: UInt64, error: Int32, answers: inout [(Completion, Result<Void, any Error>)]) {
        let failure = FileError.cannotWrite(path: directory.path, errno: error)
        waiters.removeAll { waiter in
            guard waiter.generation <= generation else { return false }
            answers.append((waiter.done, .failure(failure)))
            return true
        }
    }

    private func finishSync(through target: UInt64, error: Int32) {
        var answers: [(Completion, Result<Void, any Error>)] = []
        lock.lock()
        syncing = false
        for old in retired { Glibc.close(old) }
        retired = []
        if error == 0 { synced = max(synced, target) }
        let result: Result<Void, any Error> = error == 0 ? .success(()) : .failure(FileError.cannotWrite(path: directory.path, errno: error))
        waiters.removeAll { waiter in
            guard waiter.generation <= target else { return false }
            answers.append((waiter.done, result))
            return true
        }
        startSyncIfNeeded(answers: &answers)
        lock.unlock()
        Self.answer(answers)
    }

    /// Writes what is pending, syncs, and answers every waiter: with a failure if any write or the sync
    /// failed (a 200 for a webhook that is not stored would lose it: Meta only redelivers on an error).
    public func close() {
        var answers: [(Completion, Result<Void, any Error>)] = []
        lock.lock()
        closeLocked(answers: &answers)
        lock.unlock()
        Self.answer(answers)
    }

    private func closeLocked(answers: inout [(Completion, Result<Void, any Error>)]) {
        var failure: Int32 = 0
        if fd >= 0, !pending.isEmpty {
            // Pending syncs target the old descriptor: finish them first.
            do { try writeOut(pending, day: openDay ?? "") } catch {
                if case .cannotWrite(_, let code) = error as? FileError { failure = code } else { failure = EIO }
            }
            pending = []
            inFile = written
        }
        if fd >= 0 {
            if synced < written {
                if fdatasync(fd) != 0, failure == 0 { failure = errno }
                if failure == 0 { synced = written }
            }
            let result: Result<Void, any Error> =
                failure == 0 ? .success(()) : .failure(FileError.cannotWrite(path: directory.path, errno: failure))
            for waiter in waiters { answers.append((waiter.done, result)) }
            waiters = []
            if syncing { retired.append(fd) } else { Glibc.close(fd) }
        }
        fd = -1
        openDay = nil
        mayBeTorn = false
    }

    private func path(_ day: String) -> URL { directory.appendingPathComponent("events-\(day).jsonl") }

    private func ensureOpen(day requested: String, answers: inout [(Completion, Result<Void, any Error>)]) throws {
        // Never an earlier day's file than one already written: a clock stepped back across midnight would
        // otherwise put new lines in a file a follower has already left behind (followers move forward by
        // file name). The line keeps its own time; the file is only where it is kept.
        var day = requested
        if let openDay, openDay > day { day = openDay }
        if openDay == day, fd >= 0 { return }
        if let newest = EventLogReader(directory: directory).files().last?.lastPathComponent.dropFirst("events-".count).prefix(10),
            String(newest) > day
        {
            day = String(newest)
        }
        if openDay == day, fd >= 0 { return }
        // A new day's file: everything written to the old one is made durable before switching.
        closeLocked(answers: &answers)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let p = path(day)
        let created = !FileManager.default.fileExists(atPath: p.path)
        fd = open(p.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError.cannotWrite(path: p.path, errno: errno) }
        if created { AtomicFile.syncDirectory(directory) } else { try TornTail.repair(fd: fd, file: p) }
        openDay = day
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }
}
