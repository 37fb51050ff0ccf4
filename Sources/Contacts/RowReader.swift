import Foundation
import WabulkBase

/// Reads a contacts file on a thread of its own: finds the header, builds each row's contact, and hands
/// batches (already given to the normalizer) to the import's merging side, at most two ahead of it.
final class RowReader: @unchecked Sendable {
    enum Source {
        case text(ContactFile, delimiter: UInt8)
        case xlsx
    }

    struct Batch {
        var rows: [ImportRow]
        var phoneHeader: String
        var verdicts: () -> [PhoneNormalizer.Verdict]
    }

    /// Batches, then the number of data rows read (or why reading failed).
    let batches = Handoff<Batch, Result<Int, ContactsError>>(limit: 2)
    private let importer: ContactImporter
    private let url: URL
    private let fileName: String
    private let source: Source
    private let progress: ((Int) -> Void)?
    private var mapping: ColumnMapping?
    private var phoneHeader = ""
    private var rowsRead = 0
    private var batch: [ImportRow] = []

    init(importer: ContactImporter, url: URL, fileName: String, source: Source, progress: ((Int) -> Void)?) {
        self.importer = importer
        self.url = url
        self.fileName = fileName
        self.source = source
        self.progress = progress
    }

    func start() {
        Thread { self.read() }.start()
    }

    private func read() {
        do throws(ContactsError) {
            switch source {
            case .xlsx:
                var reader = XLSXReader()
                // The sheet's own cap counts every row element; the header's is one more.
                reader.maxRows = importer.maxRows + 1
                try reader.forEachRow(url, displayName: fileName) { (row, cells) throws(ContactsError) in try add(row: row, cells: cells) }
            case .text(let file, let delimiter):
                let stream = try CSVStream(delimiter: delimiter)
                var rowNumber = 0
                try file.utf8Chunks { (chunk: ArraySlice<UInt8>) throws(ContactsError) in
                    for cells in try stream.feed(chunk) {
                        rowNumber += 1
                        try add(row: rowNumber, cells: cells)
                    }
                }
                for cells in try stream.finish() {
                    rowNumber += 1
                    try add(row: rowNumber, cells: cells)
                }
            }
            guard mapping != nil else { throw .emptyFile(file: fileName) }
            try flush()
            batches.finish(.success(rowsRead))
        } catch {
            batches.finish(.failure(error))
        }
    }

    private func add(row: Int, cells: [String]) throws(ContactsError) {
        if cells.count > ContactFile.maxColumns {
            throw .unsupportedFormat(
                file: fileName,
                reason: "row \(row) has \(cells.count) columns; a contacts file may have at most \(ContactFile.maxColumns)"
            )
        }
        if cells.allSatisfy(\.isBlankCell) { return }
        guard let mapping else {
            guard let found = ColumnMapping(headers: cells) else { throw .noPhoneColumn(file: fileName, headers: cells) }
            mapping = found
            phoneHeader = cells[found.phone]
            return
        }
        rowsRead += 1
        if rowsRead > importer.maxRows {
            throw .unsupportedFormat(file: fileName, reason: "more than \(importer.maxRows) rows (maxRowsPerFile); split the file")
        }
        func cell(_ i: Int?) -> String {
            guard let i, i < cells.count else { return "" }
            return cells[i].trimmedCell
        }
        var name = cell(mapping.name)
        if name.isEmpty { name = [cell(mapping.firstName), cell(mapping.lastName)].filter { !$0.isEmpty }.joined(separator: " ") }
        var custom: [String: String] = [:]
        for (i, header) in mapping.fields { custom[header] = cell(i) }
        var phone = cell(mapping.phone)
        // Google Contacts joins a contact's numbers in one cell with " ::: ": the first is the phone, the rest a field.
        if let numbers = ColumnMapping.multipleValues(phone), numbers.count > 1 {
            phone = numbers[0]
            custom[ColumnMapping.otherPhonesField] = numbers.dropFirst().joined(separator: ", ")
        }
        batch.append(
            ImportRow(
                number: row,
                rawPhone: phone,
                contact: Contact(phone: "", name: name, tags: ColumnMapping.splitTags(cell(mapping.tags)), fields: custom)
            )
        )
        if batch.count >= importer.batchSize {
            try flush()
            progress?(rowsRead)
        }
    }

    private func flush() throws(ContactsError) {
        guard !batch.isEmpty else { return }
        let next = Batch(rows: batch, phoneHeader: phoneHeader, verdicts: importer.normalize(batch.map(\.rawPhone)))
        batch = []
        // Closed: the merging side failed and has its own error; stop reading.
        guard batches.put(next) else { throw .database(reason: "import stopped") }
    }
}
