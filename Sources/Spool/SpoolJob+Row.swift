import Foundation
import GRDB
import WabulkBase

extension Spool {
    static func job(from row: Row) -> SpoolJob {
        var job = SpoolJob(
            campaign: row["campaign"],
            sequence: 0,
            phone: row["phone"],
            name: row["name"],
            template: .init(
                name: row["template"],
                language: row["language"],
                parameters: TemplateParameters(headerColumn: row["header"], bodyColumn: row["body"], buttonsColumn: row["buttons"]),
                category: row["category"]
            ),
            attempt: row["attempt"],
            notBefore: (row["not_before"] as Double?).map { Date(timeIntervalSince1970: $0) },
            campaignRate: row["campaign_rate"],
            window: (row["window"] as String?).flatMap { try? JSONDecoder().decode(SendWindowSchedule.self, from: Data($0.utf8)) }
        )
        job.id = row["id"]
        return job
    }
}

/// Template parameter lists as compact JSON text in the spool's columns.
enum JSONList {
    static func encode(_ items: [String]) -> String {
        guard !items.isEmpty else { return "[]" }
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(items.reduce(2) { $0 + $1.utf8.count + 3 })
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONEscape.quote(item, into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [String] {
        guard text != "[]" else { return [] }
        return JSONValue.parse(Array(text.utf8))?.items?.compactMap(\.string) ?? []
    }
}
