import Campaigns
import Contacts
import EventLog
import Foundation
import Intake
import ShareLinks
import WebhookListener

/// One input from outside, fed to the reader that meets it in the daemon. The libFuzzer harnesses in
/// Fuzz/ call these, and `FuzzRegressionTests` replays every input they ever crashed on, so a fix stays
/// fixed. Each must return (throwing is a refusal, which is fine) for any bytes; a trap, a hang or a leak
/// is the bug.
public enum FuzzEntry: String, CaseIterable, Sendable {
    /// A contacts spreadsheet saved as CSV (separator sniffed), imported into a real registry.
    case csv
    /// A contacts workbook, imported into a real registry.
    case xlsx
    /// An inbox `.json`: a campaign manifest, a control request or a share-link request.
    case manifest
    /// A webhook POST body (after its signature was checked: Meta's, but of any shape).
    case webhook
    /// One line of the event log, as a follower or the report reads it.
    case eventLine

    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .csv: Self.importContacts(bytes, extension: "csv")
        case .xlsx: Self.importContacts(bytes, extension: "xlsx")
        case .manifest:
            // The daemon's own path: one parse tells what the file asks for, then its reader checks it.
            switch InboxRequest.read(Data(bytes)) {
            case .manifest(let object): _ = try? ManifestReader.read(object: object, fileName: "fuzz.json")
            case .share(let object): _ = try? ShareRequest.read(object: object)
            case .control, .unreadable: break
            }
        case .webhook:
            _ = try? WebhookPayload.events(from: [UInt8](bytes), receivedAt: Date(timeIntervalSince1970: 1_780_000_000))
        case .eventLine:
            _ = MessageEvent(line: bytes)
        }
    }

    /// The whole import (encoding, separator, header, limits, phone numbers, merge) on a file in a scratch
    /// folder; the registry is made anew every thousand inputs so it stays small.
    private static func importContacts(_ bytes: UnsafeRawBufferPointer, extension ext: String) {
        let scratch = Scratch.shared
        let file = scratch.directory.appendingPathComponent("input.\(ext)")
        guard FileManager.default.createFile(atPath: file.path, contents: Data(bytes)),
            let importer = scratch.importer()
        else { return }
        _ = try? importer.importFile(file, displayName: "fuzz.\(ext)", now: { Date(timeIntervalSince1970: 1_780_000_000) })
    }

    private final class Scratch: @unchecked Sendable {
        static let shared = Scratch()
        let directory: URL
        private var uses = 0
        private var current: ContactImporter?

        init() {
            let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
            directory = URL(fileURLWithPath: base).appendingPathComponent("wabulk-fuzz-\(getpid())")
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        func importer() -> ContactImporter? {
            uses += 1
            if current == nil || uses % 1_000 == 0 {
                let path = directory.appendingPathComponent("contacts.sqlite")
                current = nil
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path.path + suffix) }
                guard let registry = try? ContactRegistry(path: path),
                    let normalizer = try? PhoneNormalizer(defaultCountry: "IN")
                else { return nil }
                current = ContactImporter(registry: registry, normalizer: normalizer)
            }
            return current
        }
    }
}
