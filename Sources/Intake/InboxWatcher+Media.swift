import CloudAPI
import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

extension InboxWatcher {
    /// A picture, video or document for a media header: checked against WhatsApp's types and limits, then
    /// kept in var/media/ under its name (a newer file of the same name replaces the older one, and is
    /// uploaded again), where a manifest's `"header": {"document": "NAME"}` finds it.
    func keepMedia(_ file: URL) -> (Receipt, Disposition) {
        let name = file.lastPathComponent
        switch MediaFile.inspect(file) {
        case .failure(let problem):
            let message = "\(name) \(problem.description)"
            do { try MediaRefusals.set(message, for: name, in: home.media) } catch {
                logger.warning("inbox: the refusal of \(name) could not be noted for manifests: \(error)", metadata: ["file": "\(name)"])
            }
            return (Receipt(file: name, kind: .media, outcome: .rejected, message: message, processedAt: now()), .quarantine)
        case .success(let media):
            do {
                try FileManager.default.createDirectory(at: home.media, withIntermediateDirectories: true)
                let target = home.media.appendingPathComponent(name)
                guard rename(file.path, target.path) == 0 else { throw FileError.cannotMove(from: file.path, to: target.path, errno: errno) }
                try MediaRefusals.set(nil, for: name, in: home.media)
                let message =
                    "kept for media headers (\(media.contentType), \(MediaFile.megabytes(media.size))): a manifest names it as "
                    + "\"header\": {\"\(media.kind.rawValue)\": \"\(name)\"}"
                return (Receipt(file: name, kind: .media, outcome: .accepted, message: message, processedAt: now()), .kept(name))
            } catch {
                return (Receipt(file: name, kind: .media, outcome: .failed, message: "could not be kept: \(error)", processedAt: now()), .archive)
            }
        }
    }
}
