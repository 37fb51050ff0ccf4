import Foundation

/// Reads one contacts file, normalizes and dedups its rows and merges them into the registry in one
/// transaction, recording the file's fingerprint so the same file is never imported twice.
public struct ContactImporter: Sendable {
    public let registry: ContactRegistry
    public let normalizer: PhoneNormalizer

    public init(registry: ContactRegistry, normalizer: PhoneNormalizer) {
        self.registry = registry
        self.normalizer = normalizer
    }

    public func importFile(_ url: URL, displayName: String? = nil, now: @Sendable () -> Date = Date.init) throws(ContactsError) -> ImportResult {
        let name = displayName ?? url.lastPathComponent
        let started = Date()
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unsupportedFormat(file: name, reason: "cannot be read: \(error.localizedDescription)") }
        let fingerprint = Self.fingerprint(data)
        if let stored = try registry.importSummary(fingerprint: fingerprint),
           let previous = try? JSONDecoder().decode(StoredImport.self, from: stored) {
            return ImportResult(summary: previous.summary, rejected: previous.rejected, alreadyImported: true)
        }
        let ext = url.pathExtension.lowercased()
        guard ["csv", "tsv", "txt"].contains(ext) else {
            throw .unsupportedFormat(file: name, reason: "only .csv, .tsv and .txt contact files are read so far")
        }
        let (text, encoding) = TextDecoding.decode(data)
        let delimiter = ext == "tsv" ? UInt8(ascii: "\t") : CSVParser.sniffDelimiter(text[...])
        let records = try CSVParser(delimiter: delimiter).parse(Array(text.utf8))
        guard let headerRow = records.first(where: { !$0.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }) else {
            throw .emptyFile(file: name)
        }
        let headerIndex = records.firstIndex(where: { $0 == headerRow })!
        guard let mapping = ColumnMapping(headers: headerRow) else {
            throw .noPhoneColumn(file: name, headers: headerRow)
        }

        var summary = ImportSummary()
        summary.encoding = encoding.rawValue
        summary.delimiter = delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter))
        var rejected: [RejectedRow] = []
        var byPhone: [String: Int] = [:]
        var contacts: [Contact] = []
        let phoneHeader = headerRow[mapping.phone]
        for (offset, fields) in records.enumerated().dropFirst(headerIndex + 1) {
            let rowNumber = offset + 1
            if fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            summary.rowsRead += 1
            func cell(_ i: Int?) -> String {
                guard let i, i < fields.count else { return "" }
                return fields[i].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let rawPhone = cell(mapping.phone)
            let phone: String
            switch normalizer.normalize(rawPhone) {
            case .valid(let e164): phone = e164
            case .invalid(let reason):
                rejected.append(RejectedRow(row: rowNumber, column: phoneHeader, value: rawPhone, reason: reason))
                continue
            }
            var name = cell(mapping.name)
            if name.isEmpty {
                name = [cell(mapping.firstName), cell(mapping.lastName)].filter { !$0.isEmpty }.joined(separator: " ")
            }
            var custom: [String: String] = [:]
            for (i, header) in mapping.fields { custom[header] = cell(i) }
            let contact = Contact(phone: phone, name: name, tags: ColumnMapping.splitTags(cell(mapping.tags)), fields: custom)
            if let existing = byPhone[phone] {
                summary.duplicatesInFile += 1
                var merged = contacts[existing]
                for t in contact.tags where !merged.tags.contains(t) { merged.tags.append(t) }
                for (k, v) in contact.fields where !v.isEmpty { merged.fields[k] = v }
                if !contact.name.isEmpty { merged.name = contact.name }
                contacts[existing] = merged
            } else {
                byPhone[phone] = contacts.count
                contacts.append(contact)
            }
        }
        summary.rejected = rejected.count
        let partial = summary
        let rejectedRows = rejected
        let counts = try registry.merge(contacts, now: now(), recordImport: (fingerprint, name, { counts in
            var s = partial
            s.inserted = counts.inserted
            s.updated = counts.updated
            s.skippedOptedOut = counts.skippedOptedOut
            s.skippedRemoved = counts.skippedRemoved
            return try JSONEncoder().encode(StoredImport(summary: s, rejected: rejectedRows))
        }))
        summary.inserted = counts.inserted
        summary.updated = counts.updated
        summary.skippedOptedOut = counts.skippedOptedOut
        summary.skippedRemoved = counts.skippedRemoved
        summary.durationSeconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        return ImportResult(summary: summary, rejected: rejected, alreadyImported: false)
    }

    /// FNV-1a over the bytes plus their count: identifies a file's content without a crypto dependency.
    public static func fingerprint(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16) + "-" + String(data.count)
    }
}

private struct StoredImport: Codable {
    var summary: ImportSummary
    var rejected: [RejectedRow]
}
