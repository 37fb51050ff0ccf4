import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// Compresses day files that can no longer change: older than `days` days (at least Meta's 7-day webhook
/// redelivery horizon), never the newest file (the writer appends only to the newest day or a later one).
/// Each day becomes `events-YYYY-MM-DD.jsonl.zst`, read at the same offsets as before (`LogSource`).
///
/// Crash-safe by order: the compressed bytes go to a `.zst.tmp`, are read back and compared with the day,
/// made durable, renamed into place, and only then is the plain file removed. A crash leaves the plain day
/// (with a `.tmp` the next run removes) or both forms (the plain one is read, the next run removes it).
public struct LogCompactor: Sendable {
    public let directory: URL
    public let days: Int

    /// Meta redelivers a webhook for up to 7 days; a day younger than that may still gain lines.
    public static let redeliveryDays = 7

    public init(directory: URL, days: Int) {
        self.directory = directory
        self.days = days
    }

    public struct Outcome: Sendable, Equatable {
        public var compressed: [String] = []
        public var plainBytes: UInt64 = 0
        public var compressedBytes: UInt64 = 0
        /// Plain files left by an earlier compaction that stopped after its compressed file was in place.
        public var leftoversRemoved = 0
        /// Days whose snapshot was written (`DaySnapshot`).
        public var snapshots: [String] = []
        /// Their compressed size (not in `compressedBytes`: they are copies).
        public var snapshotBytes: UInt64 = 0
        /// Compressed days whose frames no longer read (a damaged disk, a hand edit): readers skip them, so
        /// they are named here for the operator to restore.
        public var unreadable: [String] = []
    }

    /// Both compactions and the blanking of old webhook bodies take this lock: one rewrites files the
    /// other reads.
    var lockFile: URL { directory.appendingPathComponent(".compact.lock") }

    /// Compresses every plain day older than `days` days before `now` (0 days: none).
    /// `progress`: the days compressed so far and how many are to be (`wabulk compact`'s progress line).
    @discardableResult
    public func apply(now: Date, progress: ((Int, Int) -> Void)? = nil) throws -> Outcome {
        try FileLock.withExclusive(lockFile) { try applyLocked(now: now, progress: progress) }
    }

    func applyLocked(now: Date, progress: ((Int, Int) -> Void)? = nil) throws -> Outcome {
        var outcome = Outcome()
        outcome.leftoversRemoved = try tidy()
        let files = EventLogReader(directory: directory).files()
        // Walking a day's frame headers is cheap next to reading it: every compressed day is checked.
        outcome.unreadable = files.filter { !FileManager.default.fileExists(atPath: $0.path) && LogSource($0) == nil }.map(EventLogReader.day(of:))
        guard days > 0 else { return outcome }
        let cutoff = Timestamp.day(now.addingTimeInterval(-Double(max(days, Self.redeliveryDays)) * 86_400))
        let due = files.dropLast().filter { EventLogReader.day(of: $0) < cutoff && FileManager.default.fileExists(atPath: $0.path) }
        for (done, file) in due.enumerated() {
            progress?(done, due.count)
            // Indexed while its bytes are at hand, so the first report after a compaction reads no old day.
            _ = LogDayIndex.load(file)
            let (plain, compressed, _) = try compress(file)
            outcome.compressed.append(EventLogReader.day(of: file))
            outcome.plainBytes += plain
            outcome.compressedBytes += compressed
        }
        // Extracts follow their day once it is compressed (and only then: a day left in both forms by a stop
        // keeps plain extracts), including those of days indexed again after they were compressed.
        let extracts = LogCompactor(directory: directory.appendingPathComponent("index", isDirectory: true), days: days)
        for file in files where !FileManager.default.fileExists(atPath: file.path) {
            // An index of an older version is made again here, with its extracts, from the compressed day.
            _ = LogDayIndex.load(file)
            for e in LogDayIndex.Extract.allCases {
                let path = LogDayIndex.extractFile(e, for: file)
                guard let source = LogSource(path), !source.isCompressed, source.size > 0 else { continue }
                let (plain, compressed, _) = try extracts.compress(path)
                outcome.plainBytes += plain
                outcome.compressedBytes += compressed
            }
        }
        // Each compressed day's snapshot (`DaySnapshot`), written once and compressed with the extracts.
        for file in files where !FileManager.default.fileExists(atPath: file.path) && DaySnapshot.existing(for: file) == nil {
            guard LogSource(file) != nil else { continue }
            try DaySnapshot.write(for: file)
            let (_, compressed, _) = try extracts.compress(DaySnapshot.file(for: file))
            outcome.snapshots.append(EventLogReader.day(of: file))
            outcome.snapshotBytes += compressed
        }
        LogDayIndex.writeSummary(of: files)
        return outcome
    }

    /// Finishes what a stopped compaction left (under the lock): removes half-written `.zst.tmp` files, and
    /// of a day in both forms the plain one; returns how many plain days were removed. Run before anything
    /// else rewrites old days, so bodies are never blanked in one form and kept in the other.
    func tidy() throws -> Int {
        let files = EventLogReader(directory: directory).files()
        let removed = try tidy(files)
        // The days' extracts, in the index folder, the same way (not counted: they are copies).
        let extracts = LogCompactor(directory: directory.appendingPathComponent("index", isDirectory: true), days: days)
        _ = try extracts.tidy(
            files.flatMap { f in LogDayIndex.Extract.allCases.map { LogDayIndex.extractFile($0, for: f) } + [DaySnapshot.file(for: f)] }
        )
        // A snapshot is renamed into place only once whole: a stopped one is only a `.tmp`.
        for file in files { unlink(DaySnapshot.file(for: file).path + ".tmp") }
        return removed
    }

    private func tidy(_ files: [URL]) throws -> Int {
        var removed = 0
        for file in files { unlink(LogSource.compressedPath(file).path + ".tmp") }
        for file in files {
            let zst = LogSource.compressedPath(file)
            guard FileManager.default.fileExists(atPath: file.path), FileManager.default.fileExists(atPath: zst.path) else { continue }
            // Put in place by a compaction that stopped before removing the plain day: the compressed file
            // was checked against it before the rename, so only its length is checked again.
            if let compressed = LogSource(compressed: zst), compressed.size == LogSource.size(of: file) {
                try remove(file)
                removed += 1
            } else {
                unlink(zst.path)
            }
        }
        return removed
    }

    /// Lines per frame: about this many plain bytes, cut at a line's end (a longer line is a frame alone).
    static let frameBytes = 1 << 20

    /// Writes the day's compressed form beside it and removes the plain file; returns both sizes and the
    /// webhook bodies blanked.
    func compress(_ file: URL, blanking: Bool = false) throws -> (plain: UInt64, compressed: UInt64, blanked: Int) {
        guard let source = LogSource(file) else { throw FileError.cannotRead(path: file.path, reason: "no such day") }
        let zst = LogSource.compressedPath(file)
        let temp = URL(fileURLWithPath: zst.path + ".tmp")
        let (written, blanked) = try writeFrames(of: source, to: temp, blanking: blanking)
        guard let check = LogSource(compressed: temp), Self.same(source, check, blanking: blanking) else {
            unlink(temp.path)
            throw FileError.cannotRead(path: temp.path, reason: "the compressed day does not read back as the plain one")
        }
        guard rename(temp.path, zst.path) == 0 else { throw FileError.cannotMove(from: temp.path, to: zst.path, errno: errno) }
        AtomicFile.syncDirectory(directory)
        let plain = source.size
        if !source.isCompressed { try remove(file) }
        return (plain, written, blanked)
    }

    private func remove(_ file: URL) throws {
        guard unlink(file.path) == 0 || errno == ENOENT else { throw FileError.cannotWrite(path: file.path, errno: errno) }
        AtomicFile.syncDirectory(directory)
    }

    /// Reads the day in order and writes it as frames of whole lines, fsync'ed; returns the bytes written
    /// and the webhook bodies blanked.
    private func writeFrames(of source: LogSource, to temp: URL, blanking: Bool) throws -> (UInt64, Int) {
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
        var closed = false
        defer { if !closed { close(fd) } }
        var written: UInt64 = 0
        func emit(_ frame: UnsafeRawBufferPointer) throws {
            let bytes: [UInt8]
            do { bytes = try ZstdFrames.compress(frame) } catch { throw FileError.cannotWrite(path: temp.path, errno: EIO) }
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
                guard n > 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
                done += n
            }
            written += UInt64(bytes.count)
        }
        let blanked = try Self.frames(of: source, blanking: blanking, emit)
        guard fsync(fd) == 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
        closed = true
        guard close(fd) == 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
        return (written, blanked)
    }

    /// Hands out the day's bytes in pieces of whole lines of about `frameBytes` (the last may end in a torn
    /// line, kept as it is), webhook bodies blanked first when asked; returns how many were blanked.
    @discardableResult
    static func frames(of source: LogSource, blanking: Bool, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var blanked = 0
        var buffer = [UInt8](repeating: 0, count: frameBytes * 2)
        var filled = 0
        var offset: UInt64 = 0
        var ended = false
        func fill() throws {
            if buffer.count - filled < frameBytes { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let n = buffer.withUnsafeMutableBytes { source.read(into: $0.baseAddress! + filled, count: $0.count - filled, at: offset) }
            if n < 0 { throw FileError.cannotRead(path: "event log", reason: "read failed at byte \(offset)") }
            if n == 0 {
                ended = true
            } else {
                filled += n
                offset += UInt64(n)
            }
        }
        /// After the last newline within frameBytes, or after the first one beyond it (0: none yet).
        func cutPoint() -> Int {
            buffer.withUnsafeBytes { all in
                let window = min(filled, frameBytes)
                if let last = all[0..<window].lastIndex(of: 0x0A) { return last + 1 }
                return all[window..<filled].firstIndex(of: 0x0A).map { $0 + 1 } ?? 0
            }
        }
        while true {
            while !ended, filled < frameBytes { try fill() }
            guard filled > 0 else { return blanked }
            var cut = cutPoint()
            // One line longer than what is in hand: read on until it ends.
            while cut == 0, !ended {
                try fill()
                cut = cutPoint()
            }
            if cut == 0 { cut = filled }
            if blanking { blanked += blank(&buffer, upTo: cut) }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<cut])) }
            buffer.withUnsafeMutableBytes { all in
                if filled > cut { memmove(all.baseAddress!, all.baseAddress! + cut, filled - cut) }
            }
            filled -= cut
        }
    }

    /// Overwrites the `raw` string of each webhook line in `buffer[0..<end]` with spaces (same length);
    /// returns how many held more than spaces.
    static func blank(_ buffer: inout [UInt8], upTo end: Int) -> Int {
        var ranges: [(Int, Int)] = []
        buffer.withUnsafeBytes { all in
            var lineStart = 0
            while lineStart < end {
                let lineEnd = all[lineStart..<end].firstIndex(of: 0x0A) ?? end
                if let r = RawBodyRetention.rawString(in: all, from: lineStart, to: lineEnd), all[r.0..<r.1].contains(where: { $0 != 0x20 }) {
                    ranges.append(r)
                }
                lineStart = lineEnd + 1
            }
        }
        for (start, stop) in ranges { buffer.replaceSubrange(start..<stop, with: repeatElement(0x20, count: stop - start)) }
        return ranges.count
    }

    /// Whether `check` holds the same bytes as `source` (with webhook bodies blanked, when they were).
    static func same(_ source: LogSource, _ check: LogSource, blanking: Bool) -> Bool {
        guard source.size == check.size else { return false }
        var offset: UInt64 = 0
        var got = [UInt8]()
        var equal = true
        do {
            try frames(of: source, blanking: blanking) { piece in
                guard equal else { return }
                if got.count < piece.count { got = [UInt8](repeating: 0, count: piece.count) }
                let n = got.withUnsafeMutableBytes { check.read(into: $0.baseAddress!, count: piece.count, at: offset) }
                equal = n == piece.count && got.withUnsafeBytes { memcmp($0.baseAddress!, piece.baseAddress!, n) == 0 }
                offset += UInt64(piece.count)
            }
        } catch { return false }
        return equal
    }
}
