import Foundation

/// A job id as the planner writes it, `<campaign>.<7-digit sequence>` or `<campaign>.skip-<n>`, so it can
/// index a dense array; any other shape is kept as text.
enum JobKey {
    case indexed(prefix: Range<Int>, number: Int, skip: Bool)
    case other

    init(_ job: EventFields.Text, in line: UnsafeRawBufferPointer) {
        self = .other
        guard !job.escaped else { return }
        var dot = job.end - 1
        while dot > job.start, line[dot] != UInt8(ascii: ".") { dot -= 1 }
        guard dot > job.start else { return }
        var at = dot + 1
        var isSkip = false
        if job.end - at > 5, line[at] == UInt8(ascii: "s"), line[at + 1] == UInt8(ascii: "k"), line[at + 2] == UInt8(ascii: "i"),
            line[at + 3] == UInt8(ascii: "p"), line[at + 4] == UInt8(ascii: "-")
        {
            isSkip = true
            at += 5
        }
        let width = job.end - at
        guard width >= 1, width <= 9 else { return }
        var n = 0
        for i in at..<job.end {
            let b = line[i]
            guard b >= 0x30, b <= 0x39 else { return }
            n = n * 10 + Int(b - 0x30)
        }
        // Only the exact spelling the planner writes, so the id comes back byte for byte.
        if isSkip {
            guard line[at] != 0x30 || width == 1 else { return }
            self = .indexed(prefix: job.start..<dot, number: n, skip: true)
        } else {
            // The planner pads to 7 digits; a longer id has no leading zero. (Counted, not formatted: every line.)
            guard width == 7 || (width > 7 && line[at] != 0x30) else { return }
            self = .indexed(prefix: job.start..<dot, number: n, skip: false)
        }
    }

    static func sequence(_ n: Int) -> String {
        let digits = String(n)
        return digits.count >= 7 ? digits : String(repeating: "0", count: 7 - digits.count) + digits
    }
}
