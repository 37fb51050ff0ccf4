import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// A log file whose last line was cut short (a kill in the middle of a large write, a power cut, a short
/// write on a full disk) is cut back to its last whole line before anything is appended: otherwise the next
/// line is glued to the torn one and both are lost to every reader, the next maybe a `sending` marker crash
/// recovery relies on. The cut bytes are kept in `torn/` beside the log, named after the file and offset.
enum TornTail {
    static func repair(fd: Int32, file: URL) throws {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return }
        let size = Int64(info.st_size)
        // The writer's descriptor is write-only: read through another one.
        let reader = open(file.path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { throw FileError.cannotWrite(path: file.path, errno: errno) }
        defer { close(reader) }
        var last: UInt8 = 0
        guard pread(reader, &last, 1, off_t(size - 1)) == 1, last != 0x0A else { return }
        var keep: Int64 = 0
        var end = size
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        search: while end > 0 {
            let start = max(0, end - Int64(chunk.count))
            let n = pread(reader, &chunk, Int(end - start), off_t(start))
            guard n > 0 else { break }
            for i in stride(from: n - 1, through: 0, by: -1) where chunk[i] == 0x0A {
                keep = start + Int64(i) + 1
                break search
            }
            end = start
        }
        let tornDirectory = file.deletingLastPathComponent().appendingPathComponent("torn", isDirectory: true)
        try FileManager.default.createDirectory(at: tornDirectory, withIntermediateDirectories: true)
        var torn = [UInt8](repeating: 0, count: Int(size - keep))
        _ = torn.withUnsafeMutableBytes { pread(reader, $0.baseAddress, $0.count, off_t(keep)) }
        try AtomicFile.write(Data(torn), to: tornDirectory.appendingPathComponent("\(file.lastPathComponent).\(keep).torn"))
        guard ftruncate(fd, off_t(keep)) == 0, fdatasync(fd) == 0 else { throw FileError.cannotWrite(path: file.path, errno: errno) }
    }
}
