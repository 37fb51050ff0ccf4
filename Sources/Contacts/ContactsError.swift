/// What can go wrong reading contacts, with where and why.
public enum ContactsError: Error, CustomStringConvertible, Equatable {
    case csv(reason: String)
    case noPhoneColumn(file: String, headers: [String])
    case emptyFile(file: String)
    case unsupportedFormat(file: String, reason: String)
    case database(reason: String)

    public var description: String {
        switch self {
        case .csv(let reason): "CSV could not be read: \(reason)"
        case .noPhoneColumn(let file, let headers):
            "\(file): no phone column in the header row (found: \(Self.echo(headers))); name one Phone, Mobile, WhatsApp or Phone Number"
        case .emptyFile(let file): "\(file): the file has no header row"
        case .unsupportedFormat(let file, let reason): "\(file): \(reason)"
        case .database(let reason): "contacts registry: \(reason)"
        }
    }

    /// What a receipt may repeat of a file's header: the first 20 cells, each cut to 64 characters. A file
    /// that is not a contacts file (a link to a secret, say) must not be copied into outbox/.
    static func echo(_ headers: [String]) -> String {
        var cells = headers.prefix(20).map { $0.count > 64 ? $0.prefix(64) + "…" : $0 }
        if headers.count > 20 { cells.append("… \(headers.count - 20) more") }
        return cells.joined(separator: ", ")
    }
}
