import CloudAPI
import Foundation
import WabulkBase

/// Media ids for the files in var/media/: each file is uploaded to Meta once and its id used for every
/// message that names it, until the id nears Meta's 30-day expiry, the file is replaced, or Meta says it
/// could not fetch the media (131053). Kept in var/media/.uploads.json, which only this type writes.
actor MediaLibrary {
    struct Upload: Codable, Equatable {
        var id: String
        var uploadedAt: Date
        /// The file as it was uploaded: another file of the same name is uploaded again.
        var size: Int64
        var modified: Date
    }

    enum Answer: Hashable {
        case id(String)
        /// The campaign cannot send this media; the reason says why and what to do.
        case unusable(String)
    }

    /// A day short of Meta's 30: an id is never used in its last day, when a long campaign could outlive it.
    static let lifetime: TimeInterval = 29 * 86_400

    let directory: URL
    let client: CloudAPIClient
    let now: @Sendable () -> Date
    private var uploads: [String: Upload]
    private var inFlight: [String: Task<Answer, Never>] = [:]
    /// Files re-uploaded after Meta could not fetch them: a second failure holds the campaign instead.
    private var refreshed: Set<String> = []
    /// Ids already given up on: more failures of sends that used them only resend.
    private var retired: Set<String> = []

    init(directory: URL, client: CloudAPIClient, now: @escaping @Sendable () -> Date) {
        self.directory = directory
        self.client = client
        self.now = now
        uploads =
            (try? Data(contentsOf: directory.appendingPathComponent(".uploads.json")))
            .flatMap { try? JSONDecoder().decode([String: Upload].self, from: $0) } ?? [:]
    }

    /// The id to send `name` by, uploading it first when there is none still good. Workers asking for the
    /// same file while it uploads wait for that one upload.
    func id(for name: String, kind: TemplateParameters.MediaKind) async -> Answer {
        let url = directory.appendingPathComponent(name)
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = attributes?[.modificationDate] as? Date ?? .distantPast
        if let known = uploads[name], known.size == size, known.modified == modified, now().timeIntervalSince(known.uploadedAt) < Self.lifetime {
            return .id(known.id)
        }
        if let running = inFlight[name] { return await running.value }
        let task = Task { await self.upload(name, url: url, kind: kind, size: size, modified: modified) }
        inFlight[name] = task
        let answer = await task.value
        inFlight[name] = nil
        return answer
    }

    /// Meta could not fetch the media sent by `id`: forget the id so the next send uploads the file again.
    /// True when the message should simply be sent again (the id was already replaced, by this failure or a
    /// send beside it); false when an id uploaded again failed too (the file itself is the trouble).
    func mediaFailed(_ name: String, id: String) -> Bool {
        if retired.contains(id) || (uploads[name].map { $0.id != id } ?? false) { return true }
        retired.insert(id)
        uploads[name] = nil
        save()
        return refreshed.insert(name).inserted
    }

    private func upload(_ name: String, url: URL, kind: TemplateParameters.MediaKind, size: Int64, modified: Date) async -> Answer {
        let file: MediaFile
        switch MediaFile.inspect(url) {
        case .failure(let problem): return .unusable("media \(name) \(problem.description)")
        case .success(let inspected): file = inspected
        }
        guard file.kind == kind else {
            return .unusable("media \(name) \(MediaFile.Problem.wrongKind(contentType: file.contentType, expected: kind).description)")
        }
        switch await client.uploadMedia(path: url.path, filename: name, contentType: file.contentType) {
        case .uploaded(let id):
            uploads[name] = Upload(id: id, uploadedAt: now(), size: size, modified: modified)
            save()
            return .id(id)
        case .rejected(let error): return .unusable("media \(name) was refused by Meta: \(error.description)")
        case .failed(let reason): return .unusable("media \(name) could not be uploaded: \(reason); resume the campaign to try again")
        }
    }

    /// A record that cannot be saved costs an upload after a restart, nothing more.
    private func save() {
        guard let data = try? JSONEncoder().encode(uploads) else { return }
        try? AtomicFile.write(data, to: directory.appendingPathComponent(".uploads.json"))
    }
}
