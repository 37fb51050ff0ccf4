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
            "\(file): no phone column in the header row (found: \(headers.joined(separator: ", "))); name one Phone, Mobile, WhatsApp or Phone Number"
        case .emptyFile(let file): "\(file): the file has no header row"
        case .unsupportedFormat(let file, let reason): "\(file): \(reason)"
        case .database(let reason): "contacts registry: \(reason)"
        }
    }
}
