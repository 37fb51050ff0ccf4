import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the contacts sheet of an .xlsx (the sheet named "Contacts", else the first): shared strings,
/// inline strings, numbers and booleans; rows keyed by the row number Excel shows. ZIP and XML come from
/// ZIPFoundation and Foundation's libxml2-backed parser; no hand-written inflate.
public struct XLSXReader: Sendable {
    /// Refuse entries that would inflate beyond these, so a zip bomb cannot exhaust memory or disk.
    public var maxUncompressedBytes: Int64 = 512 << 20
    public var maxCompressionRatio: Int64 = 200
    public var maxRows = 2_000_000

    public init() {}

    /// Hands each row of the contacts sheet to `body` as it is parsed. The sheet is inflated to a
    /// temporary file and parsed from a stream, so memory stays flat whatever the sheet's size (libxml2
    /// also refuses a single in-memory chunk over 10 MB, which a 100,000-row sheet exceeds).
    public func forEachRow(
        _ url: URL,
        displayName: String,
        _ body: (_ row: Int, _ cells: [String]) throws(ContactsError) -> Void
    ) throws(ContactsError) {
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw .unsupportedFormat(file: displayName, reason: "not a valid .xlsx (cannot open it as a ZIP archive)")
        }
        func checkSize(_ entry: Entry, _ path: String) throws(ContactsError) {
            let compressed = max(Int64(entry.compressedSize), 1)
            if Int64(entry.uncompressedSize) > maxUncompressedBytes || Int64(entry.uncompressedSize) / compressed > maxCompressionRatio {
                throw .unsupportedFormat(file: displayName, reason: "\(path) would inflate to \(entry.uncompressedSize) bytes; refused as too large")
            }
        }
        func extract(_ path: String) throws(ContactsError) -> Data? {
            guard let entry = archive[path] else { return nil }
            try checkSize(entry, path)
            var data = Data()
            data.reserveCapacity(Int(entry.uncompressedSize))
            do { _ = try archive.extract(entry, skipCRC32: false) { data.append($0) } } catch {
                throw .unsupportedFormat(file: displayName, reason: "\(path) is damaged: \(error)")
            }
            return data
        }
        guard let workbook = try extract("xl/workbook.xml") else {
            throw .unsupportedFormat(file: displayName, reason: "not an Excel workbook (no xl/workbook.xml)")
        }
        let sheets = WorkbookSheets(workbook, rels: try extract("xl/_rels/workbook.xml.rels"))
        guard let chosen = sheets.entries.first(where: { $0.name.lowercased() == "contacts" }) ?? sheets.entries.first else {
            throw .unsupportedFormat(file: displayName, reason: "the workbook has no sheets")
        }
        var shared: [String] = []
        if let data = try extract("xl/sharedStrings.xml") { shared = SharedStringsParser.parse(data) }
        guard let entry = archive[chosen.path] else {
            throw .unsupportedFormat(file: displayName, reason: "sheet \"\(chosen.name)\" is missing from the archive")
        }
        try checkSize(entry, chosen.path)
        let sheetFile = FileManager.default.temporaryDirectory.appendingPathComponent("wabulk-sheet-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: sheetFile) }
        do {
            // The declared size can lie: count what really comes out and stop at the limit.
            var written: Int64 = 0
            let limit = maxUncompressedBytes
            guard FileManager.default.createFile(atPath: sheetFile.path, contents: nil),
                let out = try? FileHandle(forWritingTo: sheetFile)
            else {
                throw ContactsError.unsupportedFormat(file: displayName, reason: "cannot unpack the sheet to \(sheetFile.path)")
            }
            defer { try? out.close() }
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                written += Int64(chunk.count)
                if written > limit {
                    throw ContactsError.unsupportedFormat(
                        file: displayName,
                        reason: "\(chosen.path) inflates beyond \(limit) bytes; refused as too large"
                    )
                }
                out.write(chunk)
            }
        } catch let error as ContactsError {
            throw error
        } catch {
            throw .unsupportedFormat(file: displayName, reason: "\(chosen.path) is damaged: \(error)")
        }
        // The parser only lives for this call, so the row handler never really escapes.
        try withoutActuallyEscaping(body) { (handler) throws(ContactsError) in
            let parser = SheetParser(shared: shared, maxRows: maxRows, body: handler)
            guard let xml = XMLParser(contentsOf: sheetFile) else {
                throw .unsupportedFormat(file: displayName, reason: "cannot read the unpacked sheet")
            }
            xml.delegate = parser
            let parsed = xml.parse()
            if let failure = parser.failure { throw failure }
            if let refusal = parser.refusal { throw .unsupportedFormat(file: displayName, reason: refusal) }
            guard parsed else {
                if parser.tooManyRows { throw .unsupportedFormat(file: displayName, reason: "more than \(maxRows) rows; split the file") }
                throw .unsupportedFormat(file: displayName, reason: "sheet \"\(chosen.name)\" is not valid XML")
            }
        }
    }
}

/// The sheets listed in xl/workbook.xml with their part paths from the relationships file.
private struct WorkbookSheets {
    struct Entry {
        var name: String
        var path: String
    }
    var entries: [Entry] = []

    init(_ workbook: Data, rels: Data?) {
        let sheetCollector = AttributeCollector(element: "sheet")
        let p = XMLParser(data: workbook)
        p.delegate = sheetCollector
        _ = p.parse()
        var targets: [String: String] = [:]
        if let rels {
            let relCollector = AttributeCollector(element: "Relationship")
            let r = XMLParser(data: rels)
            r.delegate = relCollector
            _ = r.parse()
            for a in relCollector.found { if let id = a["Id"], let target = a["Target"] { targets[id] = target } }
        }
        for (i, a) in sheetCollector.found.enumerated() {
            let id = a["r:id"] ?? a.first(where: { $0.key.hasSuffix(":id") })?.value ?? ""
            var target = targets[id] ?? "worksheets/sheet\(i + 1).xml"
            if target.hasPrefix("/") { target.removeFirst() } else { target = "xl/" + target }
            entries.append(Entry(name: a["name"] ?? "Sheet\(i + 1)", path: target))
        }
    }
}

private final class AttributeCollector: NSObject, XMLParserDelegate {
    let element: String
    var found: [[String: String]] = []
    init(element: String) { self.element = element }
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:])
    {
        if name == element || name.hasSuffix(":" + element) { found.append(attributes) }
    }
}

private enum SharedStringsParser {
    final class Delegate: NSObject, XMLParserDelegate {
        var strings: [String] = []
        var current = ""
        var inText = false
        var inPhonetic = false
        func parser(
            _ parser: XMLParser,
            didStartElement name: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            switch name {
            case "si": current = ""
            case "t": inText = !inPhonetic
            case "rPh": inPhonetic = true  // phonetic guides are not part of the text
            default: break
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "si": strings.append(current)
            case "t": inText = false
            case "rPh": inPhonetic = false
            default: break
            }
        }
    }

    static func parse(_ data: Data) -> [String] {
        let d = Delegate()
        let p = XMLParser(data: data)
        p.delegate = d
        _ = p.parse()
        return d.strings
    }
}

private final class SheetParser: NSObject, XMLParserDelegate {
    let shared: [String]
    let maxRows: Int
    let body: (Int, [String]) throws(ContactsError) -> Void
    var rowsSeen = 0
    var tooManyRows = false
    var failure: ContactsError?
    /// Why the sheet itself was refused (a limit), said with the file's name by the reader.
    var refusal: String?
    private var rowNumber = 0
    private var cells: [String] = []
    private var column = 0
    private var type = "n"
    private var text = ""
    private var inValue = false
    private var inInline = false

    init(shared: [String], maxRows: Int, body: @escaping (Int, [String]) throws(ContactsError) -> Void) {
        self.shared = shared
        self.maxRows = maxRows
        self.body = body
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:])
    {
        switch name {
        case "row":
            // Checked before any arithmetic: a crafted sheet's row 9223372036854775807 trapped on `+ 1`.
            if let r = attributes["r"] {
                guard let n = Int(r), (1...Self.maxRowNumber).contains(n) else {
                    return refuse(parser, "row number \"\(r.prefix(20))\" is not an Excel row (1 to \(Self.maxRowNumber))")
                }
                rowNumber = n
            } else {
                rowNumber += 1
            }
            cells = []
        case "c":
            if let r = attributes["r"] {
                // A reference with 14 letters overflowed Int; one with 9 made the row 5.6e12 empty cells long.
                guard let index = Self.columnIndex(r), index < Self.maxColumns else {
                    return refuse(parser, "cell \"\(r.prefix(20))\" is beyond column \(Self.maxColumns) (or not a cell reference)")
                }
                column = index
            } else {
                column = cells.count
                guard column < Self.maxColumns else { return refuse(parser, "a row has more than \(Self.maxColumns) cells") }
            }
            type = attributes["t"] ?? "n"
            text = ""
        case "v": inValue = true
        case "is": inInline = true
        case "t": if inInline { inValue = true }
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inValue { text += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "v", "t": inValue = false
        case "is": inInline = false
        case "c":
            while cells.count < column { cells.append("") }
            let value: String
            switch type {
            case "s": value = Int(text).flatMap { $0 < shared.count ? shared[$0] : nil } ?? ""
            case "b": value = text == "1" ? "TRUE" : "FALSE"
            case "n": value = Self.numberText(text)
            default: value = text
            }
            if cells.count == column { cells.append(value) } else { cells[column] = value }
        case "row":
            rowsSeen += 1
            if rowsSeen > maxRows {
                tooManyRows = true
                parser.abortParsing()
                return
            }
            do throws(ContactsError) { try body(rowNumber, cells) } catch {
                failure = error
                parser.abortParsing()
            }
        default: break
        }
    }

    /// Excel's own limits: 1,048,576 rows; a contacts sheet gets at most `maxColumns` (the CSV reader's limit).
    static let maxRowNumber = 1_048_576
    static let maxColumns = ContactFile.maxColumns

    private func refuse(_ parser: XMLParser, _ reason: String) {
        refusal = reason
        parser.abortParsing()
    }

    /// "A1" → 0, "AB7" → 27; nil for a reference that is not letters then digits, or has more than three
    /// letters (Excel's last column is XFD).
    static func columnIndex(_ reference: String) -> Int? {
        var n = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65 && scalar.value <= 90 else { break }
            letters += 1
            guard letters <= 3 else { return nil }
            n = n * 26 + Int(scalar.value - 64)
        }
        return letters == 0 ? nil : n - 1
    }

    /// A phone typed as a number is stored as a double ("919876543210" or "9.19876543210E+11"): give back
    /// its exact digits, never the 9.19876E+11 Excel may display.
    static func numberText(_ raw: String) -> String {
        guard !raw.isEmpty, raw.contains(where: { $0 == "E" || $0 == "e" || $0 == "." }),
            let decimal = Decimal(string: raw)
        else { return raw }
        var value = decimal
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        if rounded == decimal { return NSDecimalNumber(decimal: rounded).stringValue }
        return NSDecimalNumber(decimal: decimal).stringValue
    }
}
