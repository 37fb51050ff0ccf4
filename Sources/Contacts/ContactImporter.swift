import Foundation

/// Reads one contacts file, normalizes and dedups its rows and merges them into the registry in one
/// transaction, recording the file's fingerprint so the same file is never imported twice.
///
/// Rows stream through in batches: while libphonenumber (in worker processes when given, since it
/// scales poorly across threads) normalizes one batch, the previous one is merged into SQLite.
public struct ContactImporter: Sendable {
    public let registry: ContactRegistry
    public let normalizer: PhoneNormalizer
    public let workers: NormalizerWorkers?
    public var batchSize = 5_000

    public init(registry: ContactRegistry, normalizer: PhoneNormalizer, workers: NormalizerWorkers? = nil) {
        self.registry = registry
        self.normalizer = normalizer
        self.workers = workers
    }

    /// A staff file whose name starts with one of these opts its numbers out instead of importing them.
    public static func isOptOutFile(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("optout") || lower.hasPrefix("opt-out") || lower.hasPrefix("opt_out") || lower.hasPrefix("unsubscribe")
    }

    public func importFile(_ url: URL, displayName: String? = nil, now: @Sendable () -> Date = Date.init,
                           progress: ((Int) -> Void)? = nil) throws(ContactsError) -> ImportResult {
        let name = displayName ?? url.lastPathComponent
        let started = Date()
        let ext = url.pathExtension.lowercased()
        guard ["csv", "tsv", "txt", "xlsx"].contains(ext) else {
            throw .unsupportedFormat(file: name, reason: "contacts must be .csv, .tsv, .txt or .xlsx")
        }
        let file = try ContactFile(url: url, displayName: name)
        if let stored = try registry.importSummary(fingerprint: file.fingerprint),
           let previous = try? JSONDecoder().decode(StoredImport.self, from: stored) {
            return ImportResult(summary: previous.summary, rejected: previous.rejected, alreadyImported: true)
        }
        let optOut = Self.isOptOutFile(name)
        var run = ImportRun(importer: self, fileName: name, optOut: optOut)
        if ext == "xlsx" {
            run.summary.encoding = "xlsx"
            run.summary.delimiter = ""
            let fingerprint = file.fingerprint
            try registry.importing(now: now()) { merger in
                try run.start(merger)
                try XLSXReader().forEachRow(url, displayName: name) { (row, cells) throws(ContactsError) in
                    try run.add(row: row, cells: cells, progress: progress)
                }
                try run.finish(fingerprint: fingerprint)
            }
        } else {
            run.summary.encoding = file.encoding.rawValue
            let delimiter = ext == "tsv" ? UInt8(ascii: "\t") : CSVParser.sniffDelimiter(file.head[...])
            run.summary.delimiter = delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter))
            let stream = try CSVStream(delimiter: delimiter)
            try registry.importing(now: now()) { merger in
                try run.start(merger)
                var rowNumber = 0
                try file.utf8Chunks { (chunk: ArraySlice<UInt8>) throws(ContactsError) in
                    for cells in try stream.feed(chunk) {
                        rowNumber += 1
                        try run.add(row: rowNumber, cells: cells, progress: progress)
                    }
                }
                for cells in try stream.finish() {
                    rowNumber += 1
                    try run.add(row: rowNumber, cells: cells, progress: progress)
                }
                try run.finish(fingerprint: file.fingerprint)
            }
        }
        run.summary.durationSeconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        return ImportResult(summary: run.summary, rejected: run.rejected, alreadyImported: false)
    }

    /// Normalizes a batch, in the worker processes when there are any.
    func normalize(_ phones: [String]) -> () -> [PhoneNormalizer.Verdict] {
        if let workers {
            let pending = workers.submit(phones)
            return { pending.wait() }
        }
        let verdicts = phones.map(normalizer.normalize)
        return { verdicts }
    }
}

/// The state of one import while rows stream through.
struct ImportRun {
    struct Row {
        var number: Int
        var rawPhone: String
        var contact: Contact
    }

    let importer: ContactImporter
    let fileName: String
    let optOut: Bool
    var summary = ImportSummary()
    var rejected: [RejectedRow] = []
    private var merger: ContactRegistry.Merger?
    private var mapping: ColumnMapping?
    private var phoneHeader = ""
    private var batch: [Row] = []
    /// Batches handed to the normalizer, oldest first. Two may wait, so the workers still have one to work on
    /// while this thread reads and builds the next batch.
    private var inFlight: [(rows: [Row], verdicts: () -> [PhoneNormalizer.Verdict])] = []
    private static let batchesAhead = 2
    /// Numbers already met in this file, as the integer of their E.164 digits (at most 15, so they fit):
    /// eight bytes a number instead of a String keeps a million-row file's set small.
    private var seen = Set<UInt64>()

    init(importer: ContactImporter, fileName: String, optOut: Bool) {
        self.importer = importer
        self.fileName = fileName
        self.optOut = optOut
    }

    mutating func start(_ merger: ContactRegistry.Merger) throws(ContactsError) {
        self.merger = merger
    }

    mutating func add(row: Int, cells: [String], progress: ((Int) -> Void)?) throws(ContactsError) {
        if cells.allSatisfy(\.isBlankCell) { return }
        guard let mapping else {
            guard let found = ColumnMapping(headers: cells) else { throw .noPhoneColumn(file: fileName, headers: cells) }
            mapping = found
            phoneHeader = cells[found.phone]
            return
        }
        summary.rowsRead += 1
        func cell(_ i: Int?) -> String {
            guard let i, i < cells.count else { return "" }
            return cells[i].trimmedCell
        }
        var name = cell(mapping.name)
        if name.isEmpty { name = [cell(mapping.firstName), cell(mapping.lastName)].filter { !$0.isEmpty }.joined(separator: " ") }
        var custom: [String: String] = [:]
        for (i, header) in mapping.fields { custom[header] = cell(i) }
        batch.append(Row(number: row, rawPhone: cell(mapping.phone),
                         contact: Contact(phone: "", name: name, tags: ColumnMapping.splitTags(cell(mapping.tags)), fields: custom)))
        if batch.count >= importer.batchSize {
            try flush()
            progress?(summary.rowsRead)
        }
    }

    /// Hands the current batch to the normalizer and merges the oldest one meanwhile (all of them when
    /// `draining`).
    private mutating func flush(draining: Bool = false) throws(ContactsError) {
        if !batch.isEmpty { inFlight.append((rows: batch, verdicts: importer.normalize(batch.map(\.rawPhone)))) }
        batch = []
        while inFlight.count > (draining ? 0 : Self.batchesAhead) {
            let oldest = inFlight.removeFirst()
            try merge(oldest.rows, oldest.verdicts())
        }
    }

    private mutating func merge(_ rows: [Row], _ verdicts: [PhoneNormalizer.Verdict]) throws(ContactsError) {
        guard let merger else { return }
        do {
            if !optOut { try merger.prefetch(verdicts.compactMap { if case .valid(let e164) = $0 { e164 } else { nil } }) }
            for (row, verdict) in zip(rows, verdicts) {
                switch verdict {
                case .invalid(let reason):
                    rejected.append(RejectedRow(row: row.number, column: phoneHeader, value: row.rawPhone, reason: reason))
                case .valid(let e164):
                    var contact = row.contact
                    contact.phone = e164
                    let duplicate = !seen.insert(Self.key(e164)).inserted
                    if optOut {
                        if duplicate { summary.duplicatesInFile += 1 } else if try merger.optOut(e164, source: "file \(fileName)") { summary.optedOut += 1 }
                        continue
                    }
                    let outcome = try merger.merge(contact)
                    if duplicate {
                        summary.duplicatesInFile += 1
                        continue
                    }
                    switch outcome {
                    case .inserted: summary.inserted += 1
                    case .updated: summary.updated += 1
                    case .skippedOptedOut: summary.skippedOptedOut += 1
                    case .skippedRemoved: summary.skippedRemoved += 1
                    }
                }
            }
        } catch let error as ContactsError {
            throw error
        } catch {
            throw .database(reason: "\(error)")
        }
    }

    static func key(_ e164: String) -> UInt64 {
        var value: UInt64 = 0
        for byte in e164.utf8 where byte >= 0x30 && byte <= 0x39 { value = value &* 10 &+ UInt64(byte - 0x30) }
        return value
    }

    mutating func finish(fingerprint: String) throws(ContactsError) {
        guard mapping != nil else { throw .emptyFile(file: fileName) }
        try flush(draining: true)
        summary.rejected = rejected.count
        do {
            try merger?.recordImport(fingerprint: fingerprint, file: fileName,
                                     summary: try JSONEncoder().encode(StoredImport(summary: summary, rejected: rejected)))
        } catch {
            throw .database(reason: "\(error)")
        }
    }
}

struct StoredImport: Codable {
    var summary: ImportSummary
    var rejected: [RejectedRow]
}
