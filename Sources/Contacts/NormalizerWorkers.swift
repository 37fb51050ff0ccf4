import Foundation

/// libphonenumber takes one global lock per regex-cache lookup, so threads in one process barely help;
/// separate processes (`wabulk normalize-worker`) do. Each worker is a child process fed numbers over a
/// pipe, one per line, and answering one verdict per line in the same order.
public final class NormalizerWorkers: @unchecked Sendable {
    // Each worker is used only from its own serial queue.
    private final class Worker: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let queue: DispatchQueue
        let writer: DispatchQueue
        /// Bytes read from the worker but not yet consumed, from `consumed` on.
        var received: [UInt8] = []
        var consumed = 0

        init(executable: URL, arguments: [String], index: Int) throws {
            queue = DispatchQueue(label: "wabulk.normalizer.\(index)")
            writer = DispatchQueue(label: "wabulk.normalizer.\(index).writer")
            process.executableURL = executable
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.standardError
            try process.run()
        }

        /// Sends the numbers and reads back exactly as many verdicts (fewer when the worker died).
        func run(_ numbers: ArraySlice<String>) -> [PhoneNormalizer.Verdict] {
            var request: [UInt8] = []
            request.reserveCapacity(numbers.count * 16 + 8)
            request.append(contentsOf: String(numbers.count).utf8)
            request.append(0x0A)
            for n in numbers {
                // One number per line: a cell that held a line break must not split into two.
                for byte in n.utf8 { request.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte) }
                request.append(0x0A)
            }
            // Written from another queue so a full pipe in either direction can never deadlock.
            let handle = input.fileHandleForWriting
            let bytes = Data(request)
            writer.async { handle.write(bytes) }
            var verdicts: [PhoneNormalizer.Verdict] = []
            verdicts.reserveCapacity(numbers.count)
            let reader = output.fileHandleForReading
            while verdicts.count < numbers.count {
                if let newline = received[consumed...].firstIndex(of: 0x0A) {
                    verdicts.append(PhoneNormalizer.verdict(fromWireLine: received[consumed..<newline]))
                    consumed = newline + 1
                    continue
                }
                received.removeFirst(consumed)
                consumed = 0
                let chunk = reader.availableData
                if chunk.isEmpty { break }  // the worker died: the caller falls back
                received.append(contentsOf: chunk)
            }
            return verdicts
        }
    }

    private let workers: [Worker]
    private let fallback: PhoneNormalizer

    /// Starts `count` workers running `executable normalize-worker --country <code>`.
    public init(executable: URL, defaultCountry: String, count: Int) throws {
        fallback = try PhoneNormalizer(defaultCountry: defaultCountry)
        workers = try (0..<count).map { try Worker(executable: executable, arguments: ["normalize-worker", "--country", defaultCountry], index: $0) }
    }

    deinit {
        for w in workers {
            try? w.input.fileHandleForWriting.close()
            w.process.waitUntilExit()
        }
    }

    /// A batch under way in the workers; `wait()` gives the verdicts in input order.
    public final class Pending: @unchecked Sendable {
        private let group = DispatchGroup()
        fileprivate var parts: [[PhoneNormalizer.Verdict]]
        private let numbers: [String]
        private let fallback: PhoneNormalizer

        fileprivate init(parts: Int, numbers: [String], fallback: PhoneNormalizer) {
            self.parts = Array(repeating: [], count: parts)
            self.numbers = numbers
            self.fallback = fallback
        }

        fileprivate func enter() { group.enter() }
        fileprivate func leave() { group.leave() }

        public func wait() -> [PhoneNormalizer.Verdict] {
            group.wait()
            let verdicts = parts.flatMap { $0 }
            if verdicts.count != numbers.count { return numbers.map(fallback.normalize) }
            return verdicts
        }
    }

    public func submit(_ numbers: [String]) -> Pending {
        let pending = Pending(parts: workers.count, numbers: numbers, fallback: fallback)
        let size = (numbers.count + workers.count - 1) / max(workers.count, 1)
        for (i, worker) in workers.enumerated() {
            let start = min(i * size, numbers.count)
            let end = min(start + size, numbers.count)
            pending.enter()
            worker.queue.async {
                pending.parts[i] = start < end ? worker.run(numbers[start..<end]) : []
                pending.leave()
            }
        }
        return pending
    }

    /// The worker side: reads "count\n" then that many numbers, answers one line each, until end of input.
    public static func serve(defaultCountry: String) throws {
        let normalizer = try PhoneNormalizer(defaultCountry: defaultCountry)
        var input: [UInt8] = []
        var start = 0
        var out: [UInt8] = []
        var left: Int?  // numbers still to answer in the current request
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            input.append(contentsOf: chunk[..<count])
            while let newline = input[start...].firstIndex(of: 0x0A) {
                let line = input[start..<newline]
                start = newline + 1
                if let remaining = left {
                    normalizer.appendWireLine(for: String(decoding: line, as: UTF8.self), to: &out)
                    out.append(0x0A)
                    left = remaining - 1
                } else {
                    guard let total = Int(String(decoding: line, as: UTF8.self)), total >= 0 else { return }
                    left = total
                }
                if left == 0 {
                    FileHandle.standardOutput.write(Data(out))
                    out.removeAll(keepingCapacity: true)
                    left = nil
                }
            }
            input.removeFirst(start)
            start = 0
        }
    }
}
