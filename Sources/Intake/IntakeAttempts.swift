import Foundation
import WabulkBase

/// How many times each file in var/intake/ crashed the daemon, one small file each in `var/intake/.attempts/`
/// (hidden, so never taken for a dropped file), counted at the start after a crash and removed with the
/// file's receipt.
struct IntakeAttempts {
    let directory: URL

    init(intake: URL) { directory = intake.appendingPathComponent(".attempts", isDirectory: true) }

    private func counter(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func taken(_ name: String) -> Int {
        (try? String(contentsOf: counter(name), encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    func record(_ name: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try AtomicFile.write(Data("\(taken(name) + 1)\n".utf8), to: counter(name))
    }

    func forget(_ name: String) { try? FileManager.default.removeItem(at: counter(name)) }
}
