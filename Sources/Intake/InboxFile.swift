import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How intake treats a file name in inbox/.
enum InboxFile {
    enum Kind: Int, Comparable {
        // Media and contacts go before manifests dropped with them, so a campaign sees the files and
        // contacts it names.
        case media = 0
        case contacts = 1
        case manifest = 2
        case unknown = 3
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
        // Office spreadsheets in the newer format are contacts; a document header can name one by link or id.
        case "jpg", "jpeg", "png", "mp4", "3gp", "3gpp", "pdf", "doc", "docx", "ppt", "pptx", "xls": .media
        default: .unknown
        }
    }

    /// Why a file taken into var/intake/ must not be read, or nil. Checked on the taken name itself (lstat,
    /// never following a link) once it is out of inbox/, where staff can no longer swap it: a file replaced by
    /// a link to /proc/self/environ between the scan and the rename would otherwise be read, and its text
    /// could reach a receipt. A second hard link means the bytes are also some other file's.
    static func refusalToRead(_ url: URL) -> String? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return "the file vanished before it could be read" }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: return "a link, not a file: links are never followed; drop the file itself"
        case S_IFDIR: return "a folder, not a file: drop the files themselves"
        default: return "not a regular file; nothing was read"
        }
        if info.st_nlink > 1 { return "a file with \(info.st_nlink) hard links: drop a copy, not a link" }
        return nil
    }
}
