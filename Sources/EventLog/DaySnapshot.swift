import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// The lines of an old day that a fold needs, written once the day can no longer change (when it is
/// compressed: past Meta's redelivery horizon) to `var/log/index/<day file>.snapshot.jsonl`, compressed
/// like its day. A report that reads the day whole reads its snapshot instead: a year-long report folds a
/// year of snapshots, a quarter of the bytes of the days, to the same numbers.
///
/// A snapshot is the day's lines in their order, verbatim, less the lines whose whole effect on every
/// message's folded state another line of the same message in the day already has, whatever the message's
/// state before the day (so a snapshot stands in for its day in any fold, a period's or a campaign's):
/// - webhook bodies (a fold skips them; `wabulk logs` still reads them from the day);
/// - a dispatcher's `sending` line directly followed by the message's `sent`, when the line before it
///   already gave the message's campaign, person and an earlier time (`sending` then `sent` folds to what
///   `sent` alone does);
/// - Meta's `sent` status directly after the dispatcher's `sent` line of the same message, no earlier, when
///   a later line of the message carries its price if it carries one (a second `sent` changes nothing).
/// Anything else is kept; a day holding a line the fast reader cannot take keeps all its message lines.
public enum DaySnapshot {
    /// The snapshot's plain path (compressed as `<path>.zst`; `LogSource` reads either).
    public static func file(for day: URL) -> URL {
        day.deletingLastPathComponent().appendingPathComponent("index", isDirectory: true)
            .appendingPathComponent(day.lastPathComponent + ".snapshot.jsonl")
    }

    /// `day`'s snapshot if it has a whole one (in either form: the plain one is renamed into place only once
    /// written and synced).
    public static func existing(for day: URL) -> URL? {
        let snapshot = file(for: day)
        return access(snapshot.path, F_OK) == 0 || access(snapshot.path + ".zst", F_OK) == 0 ? snapshot : nil
    }

    public struct Outcome: Sendable, Equatable {
        public var lines = 0
        public var kept = 0
        public var bytes: UInt64 = 0
    }

    /// What the rules ask of one message line (small: a day's status lines are all held at once, about 20
    /// bytes each beside their job ids).
    struct MessageLine {
        var number: Int32
        var status: MessageStatus
        var dispatch: Bool
        var webhook: Bool
        var attempt: UInt8
        /// Seconds since 2000 (0: no time), as the fold reads them.
        var when: UInt32
        var campaign: Bool
        var person: Bool
        var wamid: Bool
        var price: Bool
        /// An error, failure kind or reason: kept whatever else.
        var explains: Bool
    }

    /// Writes the plain snapshot of `day` (compressed afterwards with the day's extracts): to a `.tmp`,
    /// synced, then renamed into place, so a snapshot that exists is whole.
    @discardableResult
    public static func write(for day: URL) throws -> Outcome {
        let target = file(for: day)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let dropped = droppable(in: day)
        let temp = URL(fileURLWithPath: target.path + ".tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        var outcome = Outcome()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var failure: Int32 = 0
        func flush() {
            var done = 0
            while done < buffer.count, failure == 0 {
                let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, buffer.count - done) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { failure = n < 0 ? errno : ENOSPC }
                done += max(n, 0)
            }
            outcome.bytes += UInt64(buffer.count)
            buffer.removeAll(keepingCapacity: true)
        }
        var number = 0
        _ = EventLogScanner.scan(day) { line, _ in
            defer { number += 1 }
            outcome.lines += 1
            guard !line.starts(with: EventLogReader.webhookLinePrefix), !dropped.contains(number) else { return }
            outcome.kept += 1
            buffer.append(contentsOf: line)
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 { flush() }
        }
        flush()
        guard failure == 0 else { throw FileError.cannotWrite(path: temp.path, errno: failure) }
        guard fsync(fd) == 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
        closed = true
        guard close(fd) == 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
        guard rename(temp.path, target.path) == 0 else { throw FileError.cannotMove(from: temp.path, to: target.path, errno: errno) }
        AtomicFile.syncDirectory(target.deletingLastPathComponent())
        return outcome
    }

    static let sourceDispatch = Array(EventSource.dispatch.rawValue.utf8)
    static let sourceWebhook = Array(EventSource.webhook.rawValue.utf8)

    /// The numbers (from 0, in the day's order) of the message lines the rules drop.
    static func droppable(in day: URL) -> Set<Int> {
        var lines: [[UInt8]: [MessageLine]] = [:]
        var readable = true
        var number = 0
        _ = EventLogScanner.scan(day) { line, _ in
            defer { number += 1 }
            guard readable, !line.starts(with: EventLogReader.webhookLinePrefix) else { return }
            guard let f = EventFields.parse(line) else {
                readable = false
                return
            }
            guard let kind = f.kind, EventFields.equals(kind, MessageLedger.statusBytes, in: line), let job = f.job,
                let status = MessageLedger.status(f.status, in: line)
            else { return }
            let when = f.metaTime.map(MessageLedger.seconds(unix:)) ?? f.time.map { MessageLedger.seconds(iso: $0, in: line) } ?? 0
            let source = f.source
            lines[Array(UnsafeRawBufferPointer(rebasing: line[job.start..<job.end])), default: []].append(
                MessageLine(
                    number: Int32(clamping: number),
                    status: status,
                    dispatch: source.map { EventFields.equals($0, sourceDispatch, in: line) } ?? false,
                    webhook: source.map { EventFields.equals($0, sourceWebhook, in: line) } ?? false,
                    attempt: UInt8(clamping: f.attempt ?? 0),
                    when: when,
                    campaign: f.campaign != nil,
                    person: f.phone != nil || f.name != nil,
                    wamid: f.wamid != nil,
                    price: f.pricingCategory != nil,
                    explains: f.errorCode != nil || f.errorTitle != nil || f.errorDetails != nil || f.failure != nil || f.reason != nil
                )
            )
        }
        guard readable else { return [] }
        var dropped = Set<Int>()
        for (_, message) in lines { dropped.formUnion(droppable(message)) }
        return dropped
    }

    /// Of one message's lines in a day, in order, those the rules drop.
    static func droppable(_ m: [MessageLine]) -> [Int] {
        var out: [Int32] = []
        for i in m.indices.dropFirst() {
            let line = m[i]
            let before = m[i - 1]
            guard !line.explains else { continue }
            if line.status == .sending, line.dispatch, i + 1 < m.count, !line.wamid, !line.price,
                m[i + 1].status == .sent, m[i + 1].attempt >= line.attempt, out.last != before.number,
                before.campaign, before.person, before.when != 0, before.when <= line.when
            {
                out.append(line.number)
            } else if line.status == .sent, line.webhook, before.status == .sent, before.dispatch, before.wamid, before.person,
                before.when != 0, before.when <= line.when, line.attempt <= before.attempt,
                !line.price || m[(i + 1)...].contains(where: \.price)
            {
                out.append(line.number)
            }
        }
        return out.map(Int.init)
    }
}
