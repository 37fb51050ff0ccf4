import Foundation
import Reports
import Testing
import WabulkBase

@testable import Contacts
@testable import Intake

/// Files crafted to crash or exhaust the reader: each is refused with a reason that says where, and the
/// process carries on (before, the first two trapped and the third asked for 5.6e12 cells).
@Suite struct HostileFileTests {
    /// A real workbook (libxlsxwriter) whose sheet XML is then replaced by `sheet`, with Python's zipfile.
    static func workbook(_ dir: TempDir, _ name: String, sheet: String) async throws -> URL {
        let plain = dir.url.appendingPathComponent("plain-\(name)")
        let workbook = try XLSXWorkbook(path: plain.path)
        workbook.addSheet("Contacts").write(row: 0, [.text("Name"), .text("Phone")])
        try workbook.close()
        let crafted = dir.url.appendingPathComponent(name)
        let script = """
            import sys, zipfile
            src, dst, sheet = sys.argv[1], sys.argv[2], sys.argv[3]
            with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
                for item in zin.infolist():
                    data = zin.read(item.filename)
                    if item.filename == "xl/worksheets/sheet1.xml": data = sheet.encode()
                    zout.writestr(item, data)
            """
        let r = try await runProcess(python3, ["python3", "-c", script, plain.path, crafted.path, sheet])
        #expect(r.status == 0, "\(r.stderr)")
        return crafted
    }

    static func sheet(_ rows: String) -> String {
        #"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>\#(rows)</sheetData></worksheet>"#
    }

    func importer(_ dir: TempDir) throws -> ContactImporter {
        ContactImporter(
            registry: try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite")),
            normalizer: try PhoneNormalizer(defaultCountry: "91")
        )
    }

    @Test(arguments: [
        (
            "fourteen.xlsx",
            #"<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c><c r="ABCDEFGHIJKLMN1" t="inlineStr"><is><t>x</t></is></c></row>"#,
            #"fourteen.xlsx: cell "ABCDEFGHIJKLMN1" is beyond column 1000 (or not a cell reference)"#
        ),
        (
            "nine.xlsx", #"<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c><c r="ZZZZZZZZZ1" t="inlineStr"><is><t>x</t></is></c></row>"#,
            #"nine.xlsx: cell "ZZZZZZZZZ1" is beyond column 1000 (or not a cell reference)"#
        ),
        (
            "rows.xlsx",
            #"<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c></row><row r="9223372036854775807"><c r="A9223372036854775807"><v>9876543210</v></c></row><row><c><v>9876543211</v></c></row>"#,
            #"rows.xlsx: row number "9223372036854775807" is not an Excel row (1 to 1048576)"#
        ),
        (
            "wide.xlsx", #"<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c><c r="BMN1"><v>1</v></c></row>"#,
            #"wide.xlsx: cell "BMN1" is beyond column 1000 (or not a cell reference)"#
        ),
    ])
    func aCraftedSheetIsRefusedWithWhere(name: String, rows: String, message: String) async throws {
        let dir = TempDir()
        let file = try await Self.workbook(dir, name, sheet: Self.sheet(rows))
        #expect(throws: ContactsError.unsupportedFormat(file: name, reason: String(message.dropFirst(name.count + 2)))) {
            try importer(dir).importFile(file)
        }
    }

    @Test func aMillionColumnHeaderIsRefusedWithoutBuildingIt() throws {
        let dir = TempDir()
        let header = "Phone" + String(repeating: ",c", count: 1_000_000)
        #expect(throws: ContactsError.csv(reason: "row 1 has more than 1000 columns; a contacts file may have at most 1000")) {
            try importer(dir).importFile(dir.file("wide.csv", header + "\n9876543210\n"))
        }
    }

    @Test func aFileOverTheRowLimitIsRefusedWhole() throws {
        let dir = TempDir()
        var importer = try importer(dir)
        importer.maxRows = 3
        let rows = (1...4).map { "P\($0),98765432\(10 + $0)" }
        #expect(throws: ContactsError.unsupportedFormat(file: "four.csv", reason: "more than 3 rows (maxRowsPerFile); split the file")) {
            try importer.importFile(dir.file("four.csv", "Name,Phone\n" + rows.joined(separator: "\n") + "\n"))
        }
        #expect(try importer.registry.count() == 0)
        #expect(try importer.importFile(dir.file("three.csv", "Name,Phone\n" + rows.prefix(3).joined(separator: "\n") + "\n")).summary.inserted == 3)
    }

    @Test func aCellOverSixtyFourKilobytesIsRefused() throws {
        let dir = TempDir()
        let text = "Name,Phone\n" + String(repeating: "x", count: 70_000) + ",9876543210\n"
        #expect(throws: ContactsError.csv(reason: "row 2, column 1: a cell of 70000 bytes; at most 64 KiB")) {
            try importer(dir).importFile(dir.file("long.csv", text))
        }
    }

    @Test func aHeaderWithoutAPhoneColumnIsEchoedShortOnly() throws {
        let dir = TempDir()
        let secret = "WHATSAPP_TOKEN=EAAG" + String(repeating: "s3cr3t", count: 20)
        let error = #expect(throws: ContactsError.self) { try importer(dir).importFile(dir.file("env.txt", "\(secret)\tb\n1\t2\n")) }
        let text = try #require(error).description
        #expect(!text.contains(secret))
        #expect(text.contains(String(secret.prefix(64)) + "…"))
    }
}

/// Links in the shared folder: never followed, never archived into outbox/, answered with a receipt.
@Suite struct InboxLinkTests {
    static let secret = "WHATSAPP_TOKEN=EAAGfake-secret-token-for-the-test"

    func setUp() throws -> (TempDir, HomeLayout, URL, Intake.InboxWatcher) {
        let dir = TempDir()
        let home = dir.home
        let watcher = try IntakeFixture.watcher(home)
        let target = dir.url.appendingPathComponent("environ")
        try Data((Self.secret + "\tPATH=/usr/bin\n").utf8).write(to: target)
        return (dir, home, target, watcher)
    }

    func expectRefused(_ home: HomeLayout, _ name: String, because reason: String, target: URL) throws {
        let receipt = try IntakeFixture.receipt(home, name)
        #expect(receipt.outcome == .rejected)
        #expect(receipt.message == reason)
        #expect(receipt.archivedAs == nil)
        let text = try String(contentsOf: home.receipts.appendingPathComponent("\(name).receipt.json"), encoding: .utf8)
        #expect(!text.contains("EAAG"))
        // The link is gone, what it pointed at is untouched, and nothing of it reached outbox/.
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: home.intake.appendingPathComponent(name).path)) == nil)
        #expect(try String(contentsOf: target, encoding: .utf8).hasPrefix(Self.secret))
        let outbox = FileManager.default.enumerator(atPath: home.outbox.path)?.allObjects as? [String] ?? []
        #expect(outbox.filter { $0.hasPrefix("archive/") && $0.hasSuffix(name) }.isEmpty)
    }

    @Test func aLinkSwappedInBeforeTheRenameIsRefusedWithoutReadingIt() async throws {
        let (dir, home, target, watcher) = try setUp()
        defer { withExtendedLifetime(dir) {} }
        // As if the file had been replaced by a link between the scan and the rename: it is in var/intake/.
        try FileManager.default.createSymbolicLink(at: home.intake.appendingPathComponent("contacts.txt"), withDestinationURL: target)
        await watcher.resumeInterrupted()
        try expectRefused(home, "contacts.txt", because: "a link, not a file: links are never followed; drop the file itself", target: target)
    }

    @Test func aLinkDroppedIntoTheInboxGetsARefusalReceipt() async throws {
        let (dir, home, target, watcher) = try setUp()
        defer { withExtendedLifetime(dir) {} }
        try FileManager.default.createSymbolicLink(at: home.inbox.appendingPathComponent("list.csv"), withDestinationURL: target)
        await watcher.scanOnce()
        try expectRefused(home, "list.csv", because: "a link, not a file: links are never followed; drop the file itself", target: target)
        #expect(!FileManager.default.fileExists(atPath: home.inbox.appendingPathComponent("list.csv").path))
    }

    @Test func aHardLinkIsRefused() async throws {
        let (dir, home, target, watcher) = try setUp()
        defer { withExtendedLifetime(dir) {} }
        try FileManager.default.linkItem(at: target, to: home.inbox.appendingPathComponent("list.csv"))
        await watcher.scanOnce()
        try expectRefused(home, "list.csv", because: "a file with 2 hard links: drop a copy, not a link", target: target)
    }
}

/// A file that crashed the daemon twice is set aside, so the daemon comes up (the counts as the daemon's crash
/// mark leaves them; IntakeCrashTests crashes a real daemon).
@Suite struct QuarantineTests {
    func leftInIntake(crashes: Int) throws -> (TempDir, HomeLayout, Intake.InboxWatcher) {
        let dir = TempDir()
        let home = dir.home
        let watcher = try IntakeFixture.watcher(home)
        try Data("Name,Phone\nA,9876543210\n".utf8).write(to: home.intake.appendingPathComponent("contacts.csv"))
        let attempts = home.intake.appendingPathComponent(".attempts")
        try FileManager.default.createDirectory(at: attempts, withIntermediateDirectories: true)
        try Data("\(crashes)\n".utf8).write(to: attempts.appendingPathComponent("contacts.csv"))
        return (dir, home, watcher)
    }

    @Test func aFileThatCrashedTwiceIsSetAsideWithAReceipt() async throws {
        let (dir, home, watcher) = try leftInIntake(crashes: 2)
        defer { withExtendedLifetime(dir) {} }
        await watcher.resumeInterrupted()
        let receipt = try IntakeFixture.receipt(home, "contacts.csv")
        #expect(receipt.outcome == .rejected)
        #expect(receipt.archivedAs == "rejected/contacts.csv")
        #expect(
            receipt.message
                == "processing this file crashed wabulk 2 times; it was set aside in rejected/ and not tried again (please tell the operator)"
        )
        #expect(FileManager.default.fileExists(atPath: home.rejected.appendingPathComponent("contacts.csv").path))
        #expect(try ContactRegistry(path: home.contactsDatabase).count() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.intake.appendingPathComponent(".attempts").path).isEmpty)
    }

    @Test func aFileThatCrashedOnceIsTriedAgainAndItsCountForgotten() async throws {
        let (dir, home, watcher) = try leftInIntake(crashes: 1)
        defer { withExtendedLifetime(dir) {} }
        await watcher.resumeInterrupted()
        #expect(try IntakeFixture.receipt(home, "contacts.csv").outcome == .imported)
        #expect(try ContactRegistry(path: home.contactsDatabase).count() == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.intake.appendingPathComponent(".attempts").path).isEmpty)
    }
}

/// The poison files of issue #17 against the real daemon and sandbox: each ends in outbox/rejected/ with a
/// receipt saying where and why, and a campaign dropped after them is sent.
@Suite struct PoisonFileDaemonTests {
    @Test func poisonFilesAreSetAsideAndTheCampaignAfterThemIsSent() async throws {
        let rig = try SuppressionFlowTests.Rig(sandboxArguments: [], settings: ["WABULK_RATE": "600/min"])
        defer { rig.daemon.stop() }
        let scratch = TempDir()
        let poison: [(String, String)] = [
            ("fourteen.xlsx", #"cell "ABCDEFGHIJKLMN1" is beyond column 1000"#),
            ("nine.xlsx", #"cell "ZZZZZZZZZ1" is beyond column 1000"#),
            ("rows.xlsx", #"row number "9223372036854775807" is not an Excel row"#),
        ]
        let sheets = [
            #"<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c><c r="ABCDEFGHIJKLMN1" t="inlineStr"><is><t>x</t></is></c></row>"#,
            #"<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c><c r="ZZZZZZZZZ1" t="inlineStr"><is><t>x</t></is></c></row>"#,
            #"<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c></row><row r="9223372036854775807"><c r="A9223372036854775807"><v>9876543210</v></c></row>"#,
        ]
        for ((name, _), rows) in zip(poison, sheets) {
            let file = try await HostileFileTests.workbook(scratch, name, sheet: HostileFileTests.sheet(rows))
            try FileManager.default.copyItem(at: file, to: rig.home.appendingPathComponent("inbox/\(name)"))
        }
        try rig.drop("a-wide.csv", "Phone" + String(repeating: ",c", count: 1_000_000) + "\n9876543210\n")
        try rig.drop(
            "b-contacts.csv",
            "Name,Phone\n" + (1...3).map { "Person \($0),\(SuppressionFlowTests.phone($0))" }.joined(separator: "\n") + "\n"
        )
        try rig.drop(
            "c-campaign.json",
            #"{"id": "after", "template": {"name": "spring_sale", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}"#
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        try rig.daemon.start()

        #expect(try await eventually(timeout: 60) { await rig.records().count == 3 }, "\(rig.daemonLog())")
        #expect(Set(await rig.records().map { $0["to"] as! String }) == Set((1...3).map(SuppressionFlowTests.phone)))
        for (name, reason) in poison + [("a-wide.csv", "row 1 has more than 1000 columns; a contacts file may have at most 1000")] {
            let receipt = try #require(rig.receipt(name), "\(name)")
            #expect(receipt["outcome"] as? String == "rejected")
            #expect((receipt["message"] as? String)?.contains(reason) == true, "\(name): \(receipt["message"] ?? "")")
            #expect(receipt["archivedAs"] as? String == "rejected/\(name)")
            #expect(FileManager.default.fileExists(atPath: rig.home.appendingPathComponent("outbox/rejected/\(name)").path))
        }
        #expect(rig.daemon.process?.isRunning == true)
    }
}

/// The real daemon: a dropped file is swapped for a link to a file holding a secret while the daemon watches
/// it settle. The link is refused with a receipt; the secret reaches nothing in outbox/.
@Suite struct InboxLinkDaemonTests {
    @Test func aFileSwappedForALinkWhileSettlingIsRefusedWithoutTheSecret() async throws {
        let dir = TempDir()
        let home = dir.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        let secretFile = dir.url.appendingPathComponent("environ")
        try Data((InboxLinkTests.secret + "\tPATH=/usr/bin\n1\t2\n").utf8).write(to: secretFile)
        let env = daemonEnvironment(
            home: home,
            sandboxPort: 9,
            listenPort: freePort(),
            secret: "link-secret",
            token: "link-token",
            settings: ["WABULK_INBOX_SETTLE_SECONDS": "3"]
        )
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try daemon.start()
        defer { daemon.stop() }
        let dropped = home.appendingPathComponent("inbox/list.csv")
        // Written and swapped on a thread of its own, well inside the 3-second settle time: a sleep on the busy
        // cooperative pool once overslept it, and the daemon took the plain file first.
        try await onOwnThread {
            try Data("Name,Phone\nA,9876543210\n".utf8).write(to: dropped)
            usleep(300_000)
            try FileManager.default.removeItem(at: dropped)
            try FileManager.default.createSymbolicLink(at: dropped, withDestinationURL: secretFile)
        }
        let receiptFile = home.appendingPathComponent("outbox/receipts/list.csv.receipt.json")
        #expect(try await eventually(timeout: 30) { FileManager.default.fileExists(atPath: receiptFile.path) })
        let receipt = try String(contentsOf: receiptFile, encoding: .utf8)
        #expect(receipt.contains(#""outcome" : "rejected""#), "\(receipt)")
        #expect(receipt.contains("a link, not a file: links are never followed; drop the file itself"))
        // Nothing in outbox/ holds the secret, and the file the link pointed at is untouched.
        for name in FileManager.default.enumerator(atPath: home.appendingPathComponent("outbox").path)?.allObjects as? [String] ?? [] {
            let data = (try? Data(contentsOf: home.appendingPathComponent("outbox/\(name)"))) ?? Data()
            #expect(!String(decoding: data, as: UTF8.self).contains("EAAG"), "\(name)")
        }
        #expect(try String(contentsOf: secretFile, encoding: .utf8).hasPrefix(InboxLinkTests.secret))
        #expect(try ContactRegistry(path: home.appendingPathComponent("var/contacts.sqlite")).count() == 0)
    }
}
