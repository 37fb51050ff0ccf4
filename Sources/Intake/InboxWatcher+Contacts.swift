import Contacts
import Foundation

extension InboxWatcher {
    func importContacts(_ file: URL, resumed: Bool) async -> (Receipt, Data?) {
        let name = file.lastPathComponent
        do {
            let result = try importer.importFile(file, now: now)
            let s = result.summary
            // An opt-out file's numbers stop in the spool too: their waiting messages are dropped now.
            var dropped = 0
            if !result.optedOut.isEmpty {
                let stamp = now()
                do {
                    dropped = try await optOuts.record(
                        result.optedOut.map { PreferenceChange(phone: $0, optedOut: true, source: "file \(name)", at: stamp) }
                    )
                    .dropped.count
                } catch {
                    logger.error(
                        "inbox: \(name): opt-outs recorded in the registry, not yet in the spool: \(error) (done at the next start)",
                        metadata: ["file": "\(name)"]
                    )
                }
            }
            let counts =
                "\(s.rowsRead) rows read: \(s.inserted) new, \(s.updated) updated, \(s.duplicatesInFile) duplicates in the file, \(s.rejected) rejected"
                + (s.optedOut > 0 ? ", \(s.optedOut) opted out" : "") + (s.skippedOptedOut > 0 ? ", \(s.skippedOptedOut) skipped as opted out" : "")
                + (dropped > 0 ? ", \(dropped) waiting messages to them will not be sent" : "")
            // A file resumed after a stop may have committed just before it: its stored counts are its own.
            let message =
                !result.alreadyImported
                ? counts
                : resumed ? counts + " (finished after a restart)" : "this exact file was imported before; nothing changed"
            var receipt = Receipt(file: name, kind: .contacts, outcome: .imported, message: message, processedAt: now())
            receipt.contacts = s
            return (receipt, result.rejected.isEmpty ? nil : ErrorsCSV.render(result.rejected))
        } catch {
            return (Receipt(file: name, kind: .contacts, outcome: .rejected, message: "\(error)", processedAt: now()), nil)
        }
    }
}
