import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Finding a job's slot: jobs named `<campaign>-<n>` by a group per campaign and their number, any other
/// id by a dictionary; slots live in fixed-size chunks.
extension MessageLedger {
    subscript(slot index: Int) -> Slot {
        get { chunks[index >> Self.chunkShift][index & (1 << Self.chunkShift - 1)] }
        set { chunks[index >> Self.chunkShift][index & (1 << Self.chunkShift - 1)] = newValue }
    }

    mutating func newSlot() -> Int {
        if count >> Self.chunkShift == chunks.count {
            // Fixed-size chunks: growing one array by doubling would hold two copies at the peak.
            var chunk: [Slot] = []
            chunk.reserveCapacity(1 << Self.chunkShift)
            chunks.append(chunk)
        }
        chunks[count >> Self.chunkShift].append(Slot())
        count += 1
        return count - 1
    }

    mutating func slotFor(job: EventFields.Text, in line: UnsafeRawBufferPointer) -> (Int, Bool) {
        switch JobKey(job, in: line) {
        case .indexed(let prefix, let number, let skip):
            let g = group(prefix, in: line)
            if let existing = groups[g].slot(number, skip: skip) { return (existing, false) }
            let index = newSlot()
            groups[g].set(number, skip: skip, slot: index)
            return (index, true)
        case .other:
            let id = EventFields.string(job, in: line)
            if let existing = otherJobs[id] { return (Int(existing), false) }
            let index = newSlot()
            otherJobs[id] = UInt32(index)
            return (index, true)
        }
    }

    mutating func group(_ prefix: Range<Int>, in line: UnsafeRawBufferPointer) -> Int {
        let bytes = UnsafeRawBufferPointer(rebasing: line[prefix])
        if lastGroup >= 0, groups[lastGroup].nameBytes.count == bytes.count,
            groups[lastGroup].nameBytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 })
        {
            return lastGroup
        }
        let name = String(decoding: bytes, as: UTF8.self)
        if let known = groupIndex[name] {
            lastGroup = known
            return known
        }
        groups.append(JobGroup(name: name))
        groupIndex[name] = groups.count - 1
        lastGroup = groups.count - 1
        return lastGroup
    }

    func slotIndex(job: String) -> Int? {
        var utf8 = job
        return utf8.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            let text = EventFields.Text(start: 0, end: raw.count, escaped: false)
            switch JobKey(text, in: raw) {
            case .indexed(let prefix, let n, let skip):
                guard let g = groupIndex[String(decoding: UnsafeRawBufferPointer(rebasing: raw[prefix]), as: UTF8.self)] else { return nil }
                return groups[g].slot(n, skip: skip)
            case .other:
                return otherJobs[job].map(Int.init)
            }
        }
    }
}
