import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The bytes of one day of the log, read at offsets, whether the day is still its plain `.jsonl` file or
/// was compressed into `.jsonl.zst` (`LogCompactor`): offsets are those of the plain file either way, so
/// saved places (a follower's file and offset), line positions kept by a fold and the lines themselves are
/// the same before and after compression.
///
/// While both files exist (a compaction stopped between putting the compressed file in place and removing
/// the plain one), the plain file is read: it is complete, and the next compaction removes it.
final class LogSource {
    private enum Storage {
        case plain(fd: Int32)
        case compressed(Compressed)
    }

    private final class Compressed {
        let map: UnsafeRawBufferPointer
        let frames: [ZstdFrames.Frame]
        /// Where each frame's content starts in the day's plain bytes.
        let starts: [UInt64]
        let size: UInt64
        /// The last frame decompressed: readers ask for nearly consecutive offsets.
        var cached = -1
        var buffer: UnsafeMutableRawPointer
        var capacity: Int

        init(map: UnsafeRawBufferPointer, frames: [ZstdFrames.Frame]) {
            self.map = map
            self.frames = frames
            var starts: [UInt64] = []
            var at: UInt64 = 0
            for f in frames {
                starts.append(at)
                at += UInt64(f.contentSize)
            }
            self.starts = starts
            size = at
            capacity = max(frames.map(\.contentSize).max() ?? 1, 1)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }

        deinit {
            if let base = map.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), map.count) }
            buffer.deallocate()
        }

        func frame(containing offset: UInt64) -> Int? {
            guard offset < size else { return nil }
            var low = 0
            var high = starts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if starts[mid] <= offset { low = mid } else { high = mid - 1 }
            }
            return low
        }

        func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> Int {
            var done = 0
            while done < count, let index = frame(containing: offset + UInt64(done)) {
                if cached != index {
                    let f = frames[index]
                    let source = UnsafeRawBufferPointer(rebasing: map[f.compressed])
                    guard (try? ZstdFrames.decompress(source, into: buffer, capacity: capacity)) == f.contentSize else { return done > 0 ? done : -1 }
                    cached = index
                }
                let within = Int(offset + UInt64(done) - starts[index])
                let n = min(count - done, frames[index].contentSize - within)
                (destination + done).copyMemory(from: buffer + within, byteCount: n)
                done += n
            }
            return done
        }
    }

    private let storage: Storage

    /// The compressed form of a day file named by its plain path.
    static func compressedPath(_ file: URL) -> URL { URL(fileURLWithPath: file.path + ".zst") }

    /// Opens the day `file` names (its plain path), in whichever form it is kept; nil when neither exists.
    init?(_ file: URL) {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            storage = .plain(fd: fd)
            return
        }
        guard let c = Self.map(Self.compressedPath(file)) else { return nil }
        storage = .compressed(c)
    }

    /// Opens a compressed file by its own path (a compaction checking what it wrote).
    init?(compressed file: URL) {
        guard let c = Self.map(file) else { return nil }
        storage = .compressed(c)
    }

    private static func map(_ file: URL) -> Compressed? {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let length = Int(st.st_size)
        guard length > 0 else { return Compressed(map: UnsafeRawBufferPointer(start: nil, count: 0), frames: []) }
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else { return nil }
        let map = UnsafeRawBufferPointer(start: address, count: length)
        guard let frames = try? ZstdFrames.frames(in: map) else {
            munmap(address, length)
            return nil
        }
        return Compressed(map: map, frames: frames)
    }

    deinit {
        if case .plain(let fd) = storage { close(fd) }
    }

    var isCompressed: Bool {
        if case .compressed = storage { return true }
        return false
    }

    /// The day's length in plain bytes (a plain file may still be growing).
    var size: UInt64 {
        switch storage {
        case .plain(let fd):
            var st = stat()
            return fstat(fd, &st) == 0 ? UInt64(st.st_size) : 0
        case .compressed(let c):
            return c.size
        }
    }

    /// Like pread(2): up to `count` bytes from `offset`, 0 at the end, -1 on an error.
    func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> Int {
        switch storage {
        case .plain(let fd):
            return pread(fd, destination, count, off_t(offset))
        case .compressed(let c):
            return c.read(into: destination, count: count, at: offset)
        }
    }

    /// The size of the day `file` names, in plain bytes (0: no such day).
    static func size(of file: URL) -> UInt64 { LogSource(file)?.size ?? 0 }
}
