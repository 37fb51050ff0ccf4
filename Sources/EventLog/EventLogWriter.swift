import Foundation
import WabulkBase
#if canImport(Glibc)
import Glibc
#endif

/// Appends events to `var/log/events-YYYY-MM-DD.jsonl`. Each batch is one `write(2)` on an O_APPEND
/// descriptor, so lines from concurrent writers (even other processes) never interleave; `durable`
/// batches are fdatasync'ed before `append` returns, which is what the webhook listener's 200 waits for.
public actor EventLogWriter {
    private let directory: URL
    private var openDay: String?
    private var fd: Int32 = -1
    private let encoder: JSONEncoder

    public init(directory: URL) {
        self.directory = directory
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder = e
    }

    public func append(_ event: MessageEvent, durable: Bool = true) throws {
        try append([event], durable: durable)
    }

    public func append(_ events: [MessageEvent], durable: Bool = true) throws {
        guard !events.isEmpty else { return }
        var bytes = Data()
        for event in events {
            bytes.append(try encoder.encode(event))
            bytes.append(0x0A)
        }
        let day = String(events[0].time.prefix(10))
        try ensureOpen(day: day)
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        guard ok else { throw FileError.cannotWrite(path: path(day).path, errno: errno) }
        if durable, fdatasync(fd) != 0 { throw FileError.cannotWrite(path: path(day).path, errno: errno) }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        openDay = nil
    }

    private func path(_ day: String) -> URL { directory.appendingPathComponent("events-\(day).jsonl") }

    private func ensureOpen(day: String) throws {
        if openDay == day, fd >= 0 { return }
        close()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let p = path(day)
        let created = !FileManager.default.fileExists(atPath: p.path)
        fd = open(p.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError.cannotWrite(path: p.path, errno: errno) }
        if created { AtomicFile.syncDirectory(directory) }
        openDay = day
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }
}
