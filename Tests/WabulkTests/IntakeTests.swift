import Campaigns
import Contacts
import EventLog
import Foundation
import Logging
import Spool
import Testing
import WabulkBase

@testable import Intake

@Suite struct IntakeTests {
    func watcher(_ dir: TempDir, settle: Double = 0) throws -> InboxWatcher {
        try IntakeFixture.watcher(dir.home, settle: settle)
    }

    func receipt(_ dir: TempDir, _ name: String) throws -> Receipt {
        try IntakeFixture.receipt(dir.home, name)
    }

    @Test func partialAndHiddenFilesAreLeftAlone() async throws {
        let dir = TempDir()
        let w = try watcher(dir)
        for name in [".hidden.csv", "~$book.xlsx", "big.csv.part", "x.tmp", "y.crdownload"] {
            try Data("Phone\n9876543210\n".utf8).write(to: dir.home.inbox.appendingPathComponent(name))
        }
        await w.scanOnce()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.home.inbox.path).count == 5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.home.receipts.path).isEmpty)
    }

    @Test func aFileIsTakenOnlyOnceItHasSettled() async throws {
        let dir = TempDir()
        let w = try watcher(dir, settle: 0.3)
        let file = dir.home.inbox.appendingPathComponent("people.csv")
        try Data("Phone\n9876543210\n".utf8).write(to: file)
        await w.scanOnce()
        #expect(FileManager.default.fileExists(atPath: file.path))  // first sighting: not yet
        try await Task.sleep(for: .milliseconds(150))
        let handle = try FileHandle(forWritingTo: file)
        handle.seekToEndOfFile()
        handle.write(Data("9876543211\n".utf8))  // still being copied
        try handle.close()
        await w.scanOnce()
        #expect(FileManager.default.fileExists(atPath: file.path))
        try await Task.sleep(for: .milliseconds(400))
        await w.scanOnce()
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let r = try receipt(dir, "people.csv")
        #expect(r.outcome == .imported)
        #expect(r.contacts?.inserted == 2)
        #expect(r.archivedAs == "archive/\(Timestamp.day(Date()))/people.csv")
    }

    @Test func aSecondFileOfTheSameNameIsArchivedBesideTheFirst() async throws {
        let dir = TempDir()
        let w = try watcher(dir)
        for content in ["Phone\n9876543210\n", "Phone\n9876543211\n"] {
            try Data(content.utf8).write(to: dir.home.inbox.appendingPathComponent("list.csv"))
            await w.scanOnce()
        }
        let archived = try FileManager.default.contentsOfDirectory(atPath: dir.home.archive.appendingPathComponent(Timestamp.day(Date())).path)
            .sorted()
        #expect(archived == ["list-2.csv", "list.csv"])
        #expect(try receipt(dir, "list-2.csv").contacts?.inserted == 1)
    }

    @Test func badFilesGetAReceiptThatSaysWhyAndAreArchived() async throws {
        let dir = TempDir()
        let w = try watcher(dir)
        try Data("hello".utf8).write(to: dir.home.inbox.appendingPathComponent("notes.odt"))
        try Data(#"{"template": {"name": "t"}, "audience": {"all": true}}"#.utf8).write(to: dir.home.inbox.appendingPathComponent("bad.json"))
        try Data("Name,Email\nA,a@x\n".utf8).write(to: dir.home.inbox.appendingPathComponent("nophone.csv"))
        await w.scanOnce()
        #expect(try receipt(dir, "notes.odt").outcome == .rejected)
        let manifest = try receipt(dir, "bad.json")
        #expect(manifest.outcome == .rejected)
        #expect(manifest.problems == [ManifestProblem(field: "template.language", reason: "is required")])
        let nophone = try receipt(dir, "nophone.csv")
        #expect(nophone.outcome == .rejected)
        #expect(
            nophone.message == "nophone.csv: no phone column in the header row (found: Name, Email); name one Phone, Mobile, WhatsApp or Phone Number"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.home.inbox.path).isEmpty)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.home.archive.appendingPathComponent(Timestamp.day(Date())).path).sorted() == [
                "bad.json", "notes.odt",
            ]
        )
        // A contacts file refused whole is set aside in rejected/, where staff look for what needs them.
        #expect(nophone.archivedAs == "rejected/nophone.csv")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.home.rejected.path) == ["nophone.csv"])
    }

    /// An inbox .json is read once (at most 1 MiB) to learn what it is; a bigger one is refused unread.
    @Test func anOversizedJSONIsRefusedWithoutReadingIt() async throws {
        let dir = TempDir()
        let w = try watcher(dir)
        let phone = "\"+919876543210\""
        let big = "{\"action\": \"optout\", \"phones\": [" + Array(repeating: phone, count: 80_000).joined(separator: ",") + "]}"
        try Data(big.utf8).write(to: dir.home.inbox.appendingPathComponent("huge.json"))
        await w.scanOnce()
        let r = try receipt(dir, "huge.json")
        #expect(r.outcome == .rejected)
        #expect(r.problems == [ManifestProblem(field: "(file)", reason: "larger than 1024 KiB; a manifest, control or share file is far smaller")])
    }

    @Test func aFileLeftInIntakeByACrashIsFinishedOnce() async throws {
        let dir = TempDir()
        let w = try watcher(dir)
        try Data("Phone\n9876543210\n".utf8).write(to: dir.home.inbox.appendingPathComponent("a.csv"))
        await w.scanOnce()
        // Simulate a crash after the import committed but before archiving: the same bytes back in var/intake.
        try Data("Phone\n9876543210\n".utf8).write(to: dir.home.intake.appendingPathComponent("a.csv"))
        await w.resumeInterrupted()
        let again = try receipt(dir, "a-2.csv")
        #expect(again.message == "1 rows read: 1 new, 0 updated, 0 duplicates in the file, 0 rejected (finished after a restart)")
        #expect(again.contacts?.inserted == 1)
        #expect(try ContactRegistry(path: dir.home.contactsDatabase).count() == 1)
    }
}
