import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader (or a crash) never sees half of one: temp file, fsync, rename, directory fsync.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL, durable: Bool = true) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError.cannotWrite(path: temp.path, errno: errno) }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        if ok && durable { ok = fsync(fd) == 0 }
        close(fd)
        guard ok else {
            unlink(temp.path)
            throw FileError.cannotWrite(path: url.path, errno: errno)
        }
        guard rename(temp.path, url.path) == 0 else {
            let code = errno
            unlink(temp.path)
            throw FileError.cannotWrite(path: url.path, errno: code)
        }
        if durable { syncDirectory(dir) }
    }

    /// Makes a rename or create in `dir` survive a power cut.
    public static func syncDirectory(_ dir: URL) {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Moves a file, keeping both names unique: `name.csv`, `name-2.csv`, `name-3.csv`…
    @discardableResult
    public static func moveKeepingBoth(_ source: URL, into dir: URL) throws -> URL {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let name = source.lastPathComponent
        let ext = source.pathExtension
        let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
        var candidate = dir.appendingPathComponent(name)
        var n = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = dir.appendingPathComponent(ext.isEmpty ? "\(stem)-\(n)" : "\(stem)-\(n).\(ext)")
            n += 1
        }
        guard rename(source.path, candidate.path) == 0 else {
            throw FileError.cannotMove(from: source.path, to: candidate.path, errno: errno)
        }
        syncDirectory(dir)
        return candidate
    }
}

public enum FileError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(path: String, errno: Int32)
    case cannotMove(from: String, to: String, errno: Int32)
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let code): "cannot write \(path): \(String(cString: strerror(code)))"
        case .cannotMove(let from, let to, let code): "cannot move \(from) to \(to): \(String(cString: strerror(code)))"
        case .cannotRead(let path, let reason): "cannot read \(path): \(reason)"
        }
    }
}
