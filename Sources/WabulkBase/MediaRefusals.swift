import Foundation

/// Why a media file staff dropped was not kept (var/media/.refused.json): Intake writes it when it refuses
/// a file, so a manifest naming that file is refused with the same reason rather than "no such file".
public enum MediaRefusals {
    static func file(in directory: URL) -> URL { directory.appendingPathComponent(".refused.json") }

    public static func reason(for name: String, in directory: URL) -> String? { read(directory)[name] }

    /// Records the refusal (`reason`) or forgets it (nil, when a good file of that name is kept).
    public static func set(_ reason: String?, for name: String, in directory: URL) throws {
        var all = read(directory)
        guard all[name] != reason else { return }
        all[name] = reason
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try AtomicFile.write(try JSONEncoder().encode(all), to: file(in: directory))
    }

    private static func read(_ directory: URL) -> [String: String] {
        (try? Data(contentsOf: file(in: directory))).flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
    }
}
