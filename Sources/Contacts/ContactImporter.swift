import Foundation

/// Reads one contacts file, normalizes and dedups its rows and merges them into the registry in one
/// transaction, recording the file's fingerprint so the same file is never imported twice.
///
/// Rows stream through in batches: a `RowReader` thread reads and builds them, libphonenumber (in worker
/// processes when given, since it scales poorly across threads) normalizes them, and this thread merges
/// the batches before into SQLite, all at once.
public struct ContactImporter: Sendable {
    public let registry: ContactRegistry
    public let normalizer: PhoneNormalizer
    public let workers: NormalizerWorkers?
    public var batchSize = 5_000
    /// Data rows a file may have (`maxRowsPerFile`); a longer file is refused whole, with the reason.
    public var maxRows = 2_000_000

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

    public func importFile(
        _ url: URL,
        displayName: String? = nil,
        now: @Sendable () -> Date = Date.init,
        progress: ((Int) -> Void)? = nil
    ) throws(ContactsError) -> ImportResult {
        let name = displayName ?? url.lastPathComponent
        let started = Date()
        let ext = url.pathExtension.lowercased()
        guard ["csv", "tsv", "txt", "xlsx"].contains(ext) else {
            throw .unsupportedFormat(file: name, reason: "contacts must be .csv, .tsv, .txt or .xlsx")
        }
        let file = try ContactFile(url: url, displayName: name)
        if let stored = try registry.importSummary(fingerprint: file.fingerprint),
            let previous = try? JSONDecoder().decode(StoredImport.self, from: stored)
        {
            return ImportResult(summary: previous.summary, rejected: previous.rejected, alreadyImported: true, optedOut: [])
        }
        var run = ImportRun(fileName: name, optOut: Self.isOptOutFile(name))
        let source: RowReader.Source
        if ext == "xlsx" {
            run.summary.encoding = "xlsx"
            run.summary.delimiter = ""
            source = .xlsx
        } else {
            run.summary.encoding = file.encoding.rawValue
            let delimiter = ext == "tsv" ? UInt8(ascii: "\t") : CSVParser.sniffDelimiter(file.head[...])
            run.summary.delimiter = delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter))
            source = .text(file, delimiter: delimiter)
        }
        let reader = RowReader(importer: self, url: url, fileName: name, source: source, progress: progress)
        try registry.importing(now: now()) { merger in
            try run.mergeAll(from: reader, into: merger)
            try run.finish(fingerprint: file.fingerprint, merger: merger)
        }
        run.summary.durationSeconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        return ImportResult(summary: run.summary, rejected: run.rejected, alreadyImported: false, optedOut: run.optedOut)
    }

    /// Normalizes a batch, in the worker processes when there are any.
    func normalize(_ phones: [String]) -> () -> [PhoneNormalizer.Verdict] {
        if let workers {
            let pending = workers.submit(phones)
            let allowsLetters = normalizer.allowsLetters
            return {
                var verdicts = pending.wait()
                // The workers answer as libphonenumber does; a cell with letters is refused here, as in-process.
                if !allowsLetters {
                    for (i, phone) in phones.enumerated() where PhoneNormalizer.hasLetters(phone) { verdicts[i] = PhoneNormalizer.letters }
                }
                return verdicts
            }
        }
        let verdicts = phones.map(normalizer.normalize)
        return { verdicts }
    }
}

/// One row read from a contacts file, before its phone number is normalized.
struct ImportRow {
    var number: Int
    var rawPhone: String
    var contact: Contact
}

/// The merging side of one import, on the thread holding the registry's write transaction, while a
/// `RowReader` reads and builds rows on another: reading a million-row file and SQLite's work then run at
/// once instead of taking turns.
struct ImportRun {
    let fileName: String
    let optOut: Bool
    var summary = ImportSummary()
    var rejected: [RejectedRow] = []
    /// The numbers an opt-out file opted out, for the spool's suppressions.
    var optedOut: [String] = []
    /// Numbers already met in this file, as the integer of their E.164 digits (at most 15, so they fit):
    /// eight bytes a number instead of a String keeps a million-row file's set small.
    private var seen = Set<UInt64>()

    init(fileName: String, optOut: Bool) {
        self.fileName = fileName
        self.optOut = optOut
    }

    /// Merges every batch the reader hands over; the reader's error, or the first one here, ends the import.
    mutating func mergeAll(from reader: RowReader, into merger: ContactRegistry.Merger) throws(ContactsError) {
        reader.start()
        while true {
            switch reader.batches.take() {
            case .item(let batch):
                do {
                    try merge(batch, into: merger)
                } catch {
                    reader.batches.close()
                    while case .item = reader.batches.take() {}  // the reader stops at its next batch
                    throw error
                }
            case .done(.success(let rowsRead)):
                summary.rowsRead = rowsRead
                return
            case .done(.failure(let error)):
                throw error
            }
        }
    }

    private mutating func merge(_ batch: RowReader.Batch, into merger: ContactRegistry.Merger) throws(ContactsError) {
        let verdicts = batch.verdicts()
        do {
            // Valid rows merge in number order (stable, so a number's rows keep their order): neighbouring
            // numbers share the registry's pages, which then stay in SQLite's cache between them.
            var valid: [(e164: String, row: Int)] = []
            valid.reserveCapacity(verdicts.count)
            for (i, verdict) in verdicts.enumerated() {
                switch verdict {
                case .invalid(let reason):
                    let row = batch.rows[i]
                    rejected.append(RejectedRow(row: row.number, column: batch.phoneHeader, value: row.rawPhone, reason: reason))
                case .valid(let e164):
                    valid.append((e164, i))
                }
            }
            valid.sort { ($0.e164, $0.row) < ($1.e164, $1.row) }
            if !optOut { try merger.prefetch(valid.map(\.e164)) }
            for (e164, i) in valid {
                let duplicate = !seen.insert(Self.key(e164)).inserted
                if optOut {
                    if duplicate {
                        summary.duplicatesInFile += 1
                    } else if try merger.optOut(e164, source: "file \(fileName)", at: merger.now) {
                        summary.optedOut += 1
                        optedOut.append(e164)
                    }
                    continue
                }
                var contact = batch.rows[i].contact
                contact.phone = e164
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

    mutating func finish(fingerprint: String, merger: ContactRegistry.Merger) throws(ContactsError) {
        summary.rejected = rejected.count
        do {
            try merger.recordImport(
                fingerprint: fingerprint,
                file: fileName,
                summary: try JSONEncoder().encode(StoredImport(summary: summary, rejected: rejected))
            )
        } catch {
            throw .database(reason: "\(error)")
        }
    }
}

struct StoredImport: Codable {
    var summary: ImportSummary
    var rejected: [RejectedRow]
}
