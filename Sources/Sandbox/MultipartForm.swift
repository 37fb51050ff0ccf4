import Foundation

/// A `multipart/form-data` body split into its parts (RFC 7578), enough for Meta's media upload.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var body: ArraySlice<UInt8>
    }

    var parts: [Part] = []

    /// Nil when the content type has no boundary or the body does not follow it.
    init?(contentType: String, body: [UInt8]) {
        guard let range = contentType.range(of: "boundary=") else { return nil }
        var boundary = String(contentType[range.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let delimiter = Array("--\(boundary)".utf8)
        var starts: [Int] = []
        var i = 0
        while let found = Self.find(delimiter, in: body, from: i) {
            starts.append(found)
            i = found + delimiter.count
        }
        guard starts.count >= 2 else { return nil }
        for (a, b) in zip(starts, starts.dropFirst()) {
            // Each part: CRLF, headers, CRLF CRLF, content, CRLF before the next delimiter.
            let partStart = a + delimiter.count + 2
            let partEnd = b - 2
            guard partStart <= partEnd, let headerEnd = Self.find(Array("\r\n\r\n".utf8), in: body, from: partStart), headerEnd <= partEnd else {
                return nil
            }
            let headers = String(decoding: body[partStart..<headerEnd], as: UTF8.self)
            var part = Part(name: "", body: body[(headerEnd + 4)..<partEnd])
            for line in headers.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    part.name = Self.attribute("name", in: line) ?? ""
                    part.filename = Self.attribute("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    part.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            parts.append(part)
        }
    }

    func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    func text(_ name: String) -> String? { part(name).map { String(decoding: $0.body, as: UTF8.self) } }

    static func attribute(_ key: String, in line: String) -> String? {
        guard let range = line.range(of: " \(key)=\"") ?? line.range(of: ";\(key)=\"") else { return nil }
        let rest = line[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count > 0, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
