import CloudAPI
import Curl
import Foundation
import Logging
import Sandbox
import ServiceLifecycle
import Testing
import WabulkBase

@testable import Sending

/// Each media file is uploaded once for every message that names it, and again only when its id nears
/// Meta's 30-day expiry, the file is replaced, or Meta could not fetch it; against the sandbox's real
/// upload endpoint.
@Suite struct MediaLibraryTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = Date(timeIntervalSince1970: 1_790_000_000)
        var now: Date { lock.withLock { current } }
        func advance(days: Double) { lock.withLock { current += days * 86_400 } }
    }

    @Test func aFileIsUploadedOnceAndAgainOnlyWhenItMustBe() async throws {
        let dir = TempDir()
        let pdf = dir.url.appendingPathComponent("brochure.pdf")
        try Data("%PDF-1.4\n%%EOF\n".utf8).write(to: pdf)
        try await withSandbox { port, sandbox in
            let clock = Clock()
            let client = CloudAPIClient(baseURL: "http://127.0.0.1:\(port)", version: "v23.0", phoneNumberID: "123", token: Secret("t"))
            let library = MediaLibrary(directory: dir.url, client: client, now: { clock.now })
            // Twenty workers asking at once: one upload, one id.
            let answers = await withTaskGroup(of: MediaLibrary.Answer.self) { asks in
                for _ in 0..<20 { asks.addTask { await library.id(for: "brochure.pdf", kind: .document) } }
                return await asks.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(answers) == [.id("1037543291543601")])
            #expect(await sandbox.stats().mediaUploads == 1)
            // Kept across a restart of the daemon (a new library reads .uploads.json).
            let again = MediaLibrary(directory: dir.url, client: client, now: { clock.now })
            #expect(await again.id(for: "brochure.pdf", kind: .document) == .id("1037543291543601"))
            // A day short of Meta's 30: a new upload.
            clock.advance(days: 28.9)
            #expect(await again.id(for: "brochure.pdf", kind: .document) == .id("1037543291543601"))
            clock.advance(days: 0.2)
            #expect(await again.id(for: "brochure.pdf", kind: .document) == .id("1037543291543602"))
            // The file replaced by a newer one of the same name: uploaded again.
            try Data("%PDF-1.7\n% a longer brochure\n%%EOF\n".utf8).write(to: pdf)
            #expect(await again.id(for: "brochure.pdf", kind: .document) == .id("1037543291543603"))
            // Meta could not fetch it: uploaded again once; a second failure of the new id is the file's fault;
            // a failure reported late for an id already replaced only resends.
            #expect(await again.mediaFailed("brochure.pdf", id: "1037543291543603"))
            #expect(await again.id(for: "brochure.pdf", kind: .document) == .id("1037543291543604"))
            #expect(await again.mediaFailed("brochure.pdf", id: "1037543291543603"))
            #expect(await again.mediaFailed("brochure.pdf", id: "1037543291543604") == false)
            #expect(await sandbox.stats().mediaUploads == 4)
            // A file that is not what the header takes never leaves.
            #expect(
                await again.id(for: "brochure.pdf", kind: .image)
                    == .unusable("media brochure.pdf is application/pdf, and the template's header takes an image (JPEG or PNG)")
            )
            #expect(await again.id(for: "gone.pdf", kind: .document) == .unusable("media gone.pdf cannot be read: No such file or directory"))
            #expect(await sandbox.stats().mediaUploads == 4)
        }
    }
}
