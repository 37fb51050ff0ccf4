import CCrashMark
import Foundation

/// The one caller of CCrashMark: which file in var/intake/ the daemon was processing when it crashed. A file
/// that crashed it twice is set aside instead of being tried first on every start. Killed (SIGKILL), the
/// daemon leaves no mark: that was not the file's doing, and the file is simply tried again.
enum CrashMark {
    static func file(in intake: URL) -> URL { intake.appendingPathComponent(".crashed") }

    static func install(intake: URL) { crash_mark_install(file(in: intake).path) }
    static func begin(_ name: String) { crash_mark_begin(name) }
    static func end() { crash_mark_end() }

    /// The name a crash left, removed once read.
    static func take(intake: URL) -> String? {
        let url = file(in: intake)
        guard let name = try? String(contentsOf: url, encoding: .utf8), !name.isEmpty else { return nil }
        try? FileManager.default.removeItem(at: url)
        return name
    }
}
