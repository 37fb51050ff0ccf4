import Foundation
import WabulkBase

/// The files staff open: outbox/share/<name>.txt (the link), .png and .svg (its QR code) and .html
/// (link, text and QR on one page for a phone).
public struct ShareOutput: Sendable, Equatable {
    public var link: String
    public var files: [String]

    public static func write(_ link: ShareLink, name: String, into directory: URL) throws(ShareError) -> ShareOutput {
        let base = safeName(name)
        let code: QRCode
        do { code = try QRCode(encoding: link.url) } catch { throw .invalid(field: "share.text", reason: error.description) }
        let svg = QRImage.svg(code)
        let outputs: [(String, Data)] = [
            ("\(base).txt", Data((link.url + "\n").utf8)),
            ("\(base).png", Data(QRImage.png(code))),
            ("\(base).svg", Data(svg.utf8)),
            ("\(base).html", Data(page(link, svg: svg).utf8)),
        ]
        for (file, data) in outputs {
            let url = directory.appendingPathComponent(file)
            do { try AtomicFile.write(data, to: url) } catch { throw .cannotWrite(path: url.path, reason: "\(error)") }
        }
        return ShareOutput(link: link.url, files: outputs.map(\.0))
    }

    /// Letters, digits, - and _ only: the name comes from staff and becomes a file name.
    public static func safeName(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" ? Character($0) : "-" })
        let trimmed = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "share" : String(trimmed.prefix(80))
    }

    static func page(_ link: ShareLink, svg: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>WhatsApp share link</title>
        <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem}
        pre{white-space:pre-wrap;background:#f4f4f4;padding:.75rem;border-radius:.5rem}
        a.button{display:inline-block;background:#25d366;color:#fff;padding:.75rem 1.25rem;border-radius:.5rem;text-decoration:none}
        svg{width:100%;height:auto;max-width:20rem}</style></head>
        <body>
        <h1>Share on WhatsApp</h1>
        <p><a class="button" href="\(escape(link.url))">Open in WhatsApp</a></p>
        <p>\(link.phoneDigits.map { "Opens the chat with +\($0)." } ?? "WhatsApp asks which chat or group to share to.") Nothing is sent until you press send.</p>
        <h2>Message</h2>
        <pre>\(escape(link.text))</pre>
        <h2>Scan from another phone</h2>
        \(svg)
        <p><small>\(escape(link.url))</small></p>
        </body></html>

        """
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
