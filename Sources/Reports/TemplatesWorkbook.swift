import CloudAPI
import Foundation
import WabulkBase

/// outbox/templates.xlsx for staff writing manifests: every template with its text, placeholders and a
/// `variables` block ready to paste into a manifest.
public enum TemplatesWorkbook {
    public static func write(_ templates: [MessageTemplate], fetchedAt: String?, to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let book = try XLSXWorkbook(path: temp.path)
        let sheet = book.addSheet("Templates")
        sheet.write(
            row: 0,
            [
                .text("Template"), .text("Language"), .text("Status"), .text("Category"), .text("Parameters"),
                .text("Header"), .text("Body"), .text("Placeholders"), .text("Manifest variables example"),
            ],
            style: .header
        )
        let sorted = templates.sorted { ($0.name, $0.language) < ($1.name, $1.language) }
        for (i, t) in sorted.enumerated() {
            let placeholders = [("header", t.headerPlaceholders), ("body", t.bodyPlaceholders), ("buttons", t.buttonPlaceholders)]
                .filter { !$0.1.isEmpty }
                .map { "\($0.0): " + $0.1.map { "{{\($0)}}" }.joined(separator: " ") }
                .joined(separator: "; ")
            sheet.write(
                row: i + 1,
                [
                    .text(t.name), .text(t.language), .text(t.status), .text(t.category ?? ""),
                    .text(t.parameterFormat ?? "POSITIONAL"), .text(t.component("HEADER")?.text ?? ""),
                    .text(t.component("BODY")?.text ?? ""), .text(placeholders), .text(variablesExample(t)),
                ]
            )
        }
        sheet.setColumnWidths([24, 10, 12, 16, 12, 24, 60, 30, 60])
        sheet.freezeHeader()
        sheet.autofilter(lastRow: sorted.count, lastColumn: 8)
        if let fetchedAt { sheet.write(row: sorted.count + 2, [.text("Fetched from Meta at \(fetchedAt)")]) }
        try book.close()
        // rename(2): a reader sees the old file or the new one, never half of one.
        guard rename(temp.path, url.path) == 0 else { throw FileError.cannotMove(from: temp.path, to: url.path, errno: errno) }
    }

    /// `{"template": {...}, "variables": {...}}` with every part the template needs: the contact's name for the
    /// first placeholder and a field placeholder for the others (by name for a NAMED template), the media or
    /// location a header takes, and a value for each button that takes one, so staff only edit what they need.
    public static func variablesExample(_ t: MessageTemplate) -> String {
        func value(_ i: Int, _ n: String) -> String {
            JSONEscape.quoted(i == 0 ? "{name}" : "{\(n.allSatisfy(\.isNumber) ? "field\(n)" : n)}")
        }
        func values(_ names: [String]) -> String {
            if t.isNamed {
                return "{" + names.enumerated().map { "\(JSONEscape.quoted($0.element)): \(value($0.offset, $0.element))" }.joined(separator: ", ")
                    + "}"
            }
            return "[" + names.enumerated().map { value($0.offset, $0.element) }.joined(separator: ", ") + "]"
        }
        var parts: [String] = []
        switch t.headerFormat {
        case "IMAGE": parts.append(#""header": {"image": "https://example.com/offer.jpg"}"#)
        case "VIDEO": parts.append(#""header": {"video": "https://example.com/launch.mp4"}"#)
        case "DOCUMENT": parts.append(#""header": {"document": "brochure.pdf", "filename": "Brochure.pdf"}"#)
        case "LOCATION":
            parts.append(#""header": {"location": {"latitude": 19.076, "longitude": 72.8777, "name": "Our store", "address": "1 Main Road"}}"#)
        default: if !t.headerPlaceholders.isEmpty { parts.append("\"header\": \(values(t.headerPlaceholders))") }
        }
        if !t.bodyPlaceholders.isEmpty { parts.append("\"body\": \(values(t.bodyPlaceholders))") }
        let buttons = t.buttonSlots.map { slot -> String in
            switch slot.kind {
            case .url: return "{\"index\": \(slot.index), \"url\": \"{link}\"}"
            case .copyCode: return "{\"index\": \(slot.index), \"copyCode\": \"{code}\"}"
            case .quickReply: return "{\"index\": \(slot.index), \"payload\": \"\(t.name)-\(slot.index)\"}"
            }
        }
        if !buttons.isEmpty { parts.append("\"buttons\": [\(buttons.joined(separator: ", "))]") }
        return "\"template\": {\"name\": \"\(t.name)\", \"language\": \"\(t.language)\"}, \"variables\": {\(parts.joined(separator: ", "))}"
    }
}
