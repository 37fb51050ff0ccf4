import Foundation

/// How intake treats a file name in inbox/.
enum InboxFile {
    enum Kind: Int, Comparable {
        // Contacts go before manifests dropped with them, so a campaign sees the contacts it names.
        case contacts = 0, manifest = 1, unknown = 2
        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// Hidden files, Office lock files and partial downloads are left alone until they are complete.
    static func isIgnored(_ name: String) -> Bool {
        let lower = name.lowercased()
        return name.hasPrefix(".") || name.hasPrefix("~$") || lower == "readme.md"
            || [".part", ".tmp", ".crdownload", ".partial", ".download", ".swp"].contains { lower.hasSuffix($0) }
    }

    static func kind(of name: String) -> Kind {
        switch URL(fileURLWithPath: name).pathExtension.lowercased() {
        case "csv", "tsv", "txt", "xlsx": .contacts
        case "json": .manifest
        default: .unknown
        }
    }
}
