import Foundation
import WabulkBase

/// The email that carries a report: a short plain-text summary and the XLSX attached (MIME multipart,
/// base64, RFC 2047 for a non-ASCII subject and file name).
public struct ReportMail: Sendable, Equatable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var summary: String
    public var attachmentName: String
    public var attachment: [UInt8]

    public init(from: String, to: [String], subject: String, summary: String, attachmentName: String, attachment: [UInt8]) {
        self.from = from
        self.to = to
        self.subject = subject
        self.summary = summary
        self.attachmentName = attachmentName
        self.attachment = attachment
    }

    /// The message as it goes on the wire, CRLF line ends.
    public func rendered(date: Date, boundary: String = "wabulk-\(UUID().uuidString)") -> [UInt8] {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        var lines = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(f.string(from: date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@wabulk>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        lines += Self.base64Lines(Array(summary.utf8))
        lines += [
            "--\(boundary)",
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name=\"\(Self.encodedWord(attachmentName))\"",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=\"\(Self.encodedWord(attachmentName))\"",
            "",
        ]
        lines += Self.base64Lines(attachment)
        lines += ["--\(boundary)--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let text = Data(bytes).base64EncodedString()
        var out: [String] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = text.index(start, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex
            out.append(String(text[start..<end]))
            start = end
        }
        return out
    }

    /// ASCII passes as is; anything else becomes =?UTF-8?B?…?=.
    static func encodedWord(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }) { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }
}
