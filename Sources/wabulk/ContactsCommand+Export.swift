import ArgumentParser
import Campaigns
import Contacts
import EventLog
import Foundation
import Reports
import WabulkBase

extension ContactsCommand {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export the registry as .csv or .xlsx.")
        @OptionGroup var homeOptions: HomeOptions
        @Option(help: "Where to write (.csv or .xlsx; default outbox/contacts-<date>.csv).") var out: String?

        func run() throws {
            let c = try Context(homeOptions)
            let contacts = try c.registry.list(includeRemoved: true)
            let fieldNames = Array(Set(contacts.flatMap { $0.fields.keys })).sorted()
            let header = ["Phone", "Name", "Tags", "Active", "Opted out"] + fieldNames
            let rows = contacts.map { k in
                [k.phone, k.name, k.tags.joined(separator: ", "), k.active ? "yes" : "no", k.optedOut ? "yes" : "no"]
                    + fieldNames.map { k.fields[$0] ?? "" }
            }
            let path = out ?? c.home.outbox.appendingPathComponent("contacts-\(Timestamp.day(Date())).csv").path
            if path.lowercased().hasSuffix(".xlsx") {
                let workbook = try XLSXWorkbook(path: path)
                let sheet = workbook.addSheet("Contacts")
                sheet.write(row: 0, header.map { .text($0) }, style: .header)
                for (i, r) in rows.enumerated() { sheet.write(row: i + 1, r.map { .text($0) }) }
                sheet.freezeHeader()
                sheet.autofilter(lastRow: rows.count, lastColumn: header.count - 1)
                try workbook.close()
            } else {
                var text = ([header] + rows).map { $0.map(SafeCSV.cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
                text = "\u{FEFF}" + text  // Excel opens UTF-8 correctly only with the BOM
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            }
            print("\(contacts.count) contacts written to \(path)")
        }
    }
}
