import Foundation
import WabulkBase

#if canImport(Glibc)
import Glibc
#endif

/// A file for a media header, known by its first bytes (not its name: staff rename files) and checked
/// against Meta's types and limits (meta-cloud-api.md, section 14): images JPEG/PNG up to 5 MB, video
/// MP4/3GPP up to 16 MB, documents (PDF, Word, Excel, PowerPoint) up to 100 MB.
public struct MediaFile: Sendable, Equatable {
    public var contentType: String
    public var kind: TemplateParameters.MediaKind
    public var size: Int64

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case unknownType(String)
        case tooLarge(contentType: String, size: Int64, limit: Int64)
        case wrongKind(contentType: String, expected: TemplateParameters.MediaKind)

        public var description: String {
            switch self {
            case .unreadable(let reason): "cannot be read: \(reason)"
            case .unknownType(let name):
                "\(name) is not a type WhatsApp sends in a header (JPEG or PNG images, MP4 or 3GPP video, PDF, Word, Excel or PowerPoint documents)"
            case .tooLarge(let type, let size, let limit):
                "\(MediaFile.megabytes(size)) is over WhatsApp's limit of \(MediaFile.megabytes(limit)) for \(type)"
            case .wrongKind(let type, let expected):
                "is \(type), and the template's header takes \(expected == .image ? "an image (JPEG or PNG)" : expected == .video ? "a video (MP4 or 3GPP)" : "a document (PDF, Word, Excel or PowerPoint)")"
            }
        }
    }

    public static let limits: [TemplateParameters.MediaKind: Int64] = [.image: 5 << 20, .video: 16 << 20, .document: 100 << 20]

    public static func megabytes(_ bytes: Int64) -> String {
        if bytes < 1 << 20 { return "\(max(1, (bytes + 512) / 1024)) KB" }
        let mb = Double(bytes) / Double(1 << 20)
        return mb >= 10 || mb == mb.rounded() ? "\(Int(mb.rounded())) MB" : String(format: "%.1f MB", mb)
    }

    /// Reads the file's first bytes (without following a link) and its size.
    public static func inspect(_ url: URL) -> Result<MediaFile, Problem> {
        let fd = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .failure(.unreadable("not a regular file")) }
        var head = [UInt8](repeating: 0, count: 16)
        let got = read(fd, &head, head.count)
        guard got >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        head = Array(head.prefix(got))
        guard let (contentType, kind) = sniff(head, name: url.lastPathComponent) else {
            return .failure(.unknownType(url.lastPathComponent))
        }
        let size = Int64(info.st_size)
        let limit = limits[kind]!
        guard size <= limit else { return .failure(.tooLarge(contentType: contentType, size: size, limit: limit)) }
        return .success(MediaFile(contentType: contentType, kind: kind, size: size))
    }

    static func sniff(_ b: [UInt8], name: String) -> (String, TemplateParameters.MediaKind)? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + magic.count && Array(b[offset..<(offset + magic.count)]) == magic
        }
        let ext = (name as NSString).pathExtension.lowercased()
        if starts([0xFF, 0xD8, 0xFF]) { return ("image/jpeg", .image) }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return ("image/png", .image) }
        if starts(Array("ftyp".utf8), at: 4) {
            return starts(Array("3g".utf8), at: 8) ? ("video/3gpp", .video) : ("video/mp4", .video)
        }
        if starts(Array("%PDF-".utf8)) { return ("application/pdf", .document) }
        // Office files are ZIP (OOXML) or OLE containers: the extension says which program's.
        let ooxml = [
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ]
        if starts([0x50, 0x4B, 0x03, 0x04]), let type = ooxml[ext] { return (type, .document) }
        let ole = ["doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"]
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]), let type = ole[ext] { return (type, .document) }
        return nil
    }
}
