import CloudAPI
import Contacts
import Foundation
import ShareLinks
import Testing
import WabulkBase

@Suite struct ShareLinkTests {
    static let texts = [
        "Hello",
        "Diwali offer 🪔🎆 20% off!\nShop now: https://shop.example/?a=1&b=2#top",
        "Line one\r\nLine two\n\nTabs\there",
        "Café crème, naïve jalapeño — “quotes” ‘single’",
        "नमस्ते! इस दिवाली 20% छूट",
        "Symbols: & ? = + # % / \\ @ ! $ ' ( ) * , ; : [ ] { } < > | ^ ` ~",
        "👨‍👩‍👧‍👦 family emoji and flag 🇮🇳",
        "   leading and trailing spaces   ",
    ]

    /// Python's urllib decodes each link's text: an independent decoder must give back the exact text.
    @Test func decodingTheLinkGivesBackTheExactText() async throws {
        let links = Self.texts.map { ShareLink(text: $0).url }
        for link in links { #expect(link.hasPrefix("https://wa.me/?text=")) }
        #expect(links.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 && $0 != 0x20 && $0 != 0x0A } })
        let script = """
            import json, sys, urllib.parse
            out = []
            for link in json.load(sys.stdin):
                parts = urllib.parse.urlsplit(link)
                out.append(urllib.parse.parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)["text"][0])
            print(json.dumps(out))
            """
        let decoded = try await runProcess(
            python3,
            ["python3", "-c", script],
            input: String(decoding: try JSONEncoder().encode(links), as: UTF8.self)
        )
        #expect(decoded.status == 0)
        #expect(try JSONDecoder().decode([String].self, from: Data(decoded.stdout.utf8)) == Self.texts)
    }

    @Test func aPhoneGivesTheChatLinkWithDigitsOnly() throws {
        let normalizer = try PhoneNormalizer(defaultCountry: "91")
        for spelling in ["+91 98765-43210", "098765 43210", "(+91) 9876543210", "0091 98765 43210"] {
            let request = ShareRequest(source: .text("Hi & bye"), phone: spelling)
            let link = ShareLink(text: try request.text(templates: []), phoneDigits: try request.phoneDigits(normalizer: normalizer))
            #expect(link.url == "https://wa.me/919876543210?text=Hi%20%26%20bye")
        }
        do {
            _ = try ShareRequest(source: .text("x"), phone: "12345").phoneDigits(normalizer: normalizer)
            Issue.record("12345 is not a phone number")
        } catch {
            guard case .invalid(let field, let reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(field == "share.phone")
            #expect(reason.hasPrefix("12345: "))
        }
    }

    @Test func aTemplateIsRenderedToText() throws {
        let templates = [
            MessageTemplate(
                name: "offer",
                language: "en_US",
                status: "APPROVED",
                components: [.init(type: "BODY", text: "Hi {{1}}, {{2}} off; bye {{1}}")]
            ),
            MessageTemplate(
                name: "hello",
                language: "en_US",
                status: "APPROVED",
                parameterFormat: "NAMED",
                components: [.init(type: "BODY", text: "Welcome {{first_name}}, code {{code}}")]
            ),
        ]
        let positional = try ShareRequest.read(
            Data(#"{"share": {"template": {"name": "offer", "language": "en_US"}, "variables": {"body": ["friends", "20%"]}}}"#.utf8)
        )
        #expect(try positional.text(templates: templates) == "Hi friends, 20% off; bye friends")
        let named = try ShareRequest.read(
            Data(#"{"share": {"template": {"name": "hello"}, "variables": {"body": {"first_name": "Asha", "code": "X1"}}}}"#.utf8)
        )
        #expect(try named.text(templates: templates) == "Welcome Asha, code X1")
        let short = try ShareRequest.read(
            Data(#"{"share": {"template": {"name": "offer", "language": "en_US"}, "variables": {"body": ["friends"]}}}"#.utf8)
        )
        #expect(throws: ShareError.invalid(field: "share.variables.body", reason: "the template's body has 2 placeholders; missing {{2}}")) {
            try short.text(templates: templates)
        }
        let wrongLanguage = try ShareRequest.read(Data(#"{"share": {"template": {"name": "offer", "language": "hi"}}}"#.utf8))
        #expect(throws: ShareError.invalid(field: "share.template", reason: "\"offer\" exists in en_US, not in hi")) {
            try wrongLanguage.text(templates: templates)
        }
    }

    /// zbarimg (Debian's zbar-tools) reads the PNG back: it must hold exactly the link.
    @Test func theQRCodeDecodesBackToTheLink() async throws {
        let dir = TempDir()
        for (i, text) in [Self.texts[1], Self.texts[4], String(repeating: "Long text 🎉 ", count: 40)].enumerated() {
            let link = ShareLink(text: text, phoneDigits: i == 0 ? "919876543210" : nil)
            let output = try ShareOutput.write(link, name: "case \(i)", into: dir.url)
            #expect(output.files == ["case-\(i).txt", "case-\(i).png", "case-\(i).svg", "case-\(i).html"])
            let png = dir.url.appendingPathComponent("case-\(i).png").path
            let scan = try await runProcess(python3, ["zbarimg", "--raw", "-q", png])
            #expect(scan.status == 0)
            #expect(scan.stdout.trimmingCharacters(in: .newlines) == link.url)
            #expect(try String(contentsOf: dir.url.appendingPathComponent("case-\(i).txt"), encoding: .utf8) == link.url + "\n")
            let html = try String(contentsOf: dir.url.appendingPathComponent("case-\(i).html"), encoding: .utf8)
            #expect(html.contains("href=\"\(link.url)\""))
            #expect(html.contains("<svg"))
        }
    }

    @Test func aShareRequestDroppedInTheInboxGetsItsFilesAndAReceipt() async throws {
        let dir = TempDir()
        let home = dir.home
        try home.create()
        try Data(#"{"share": {"text": "Diwali <b>sale</b> & more 🪔\nSee you", "phone": "98765 43210"}}"#.utf8)
            .write(to: home.inbox.appendingPathComponent("group-post.json"))
        try Data(#"{"share": {"phone": "98765 43210"}}"#.utf8).write(to: home.inbox.appendingPathComponent("empty.json"))
        let watcher = try IntakeFixture.watcher(home)
        await watcher.scanOnce()
        let receipt = try IntakeFixture.receipt(home, "group-post.json")
        #expect(receipt.kind == .share)
        #expect(receipt.outcome == .accepted)
        #expect(receipt.shareLink == "https://wa.me/919876543210?text=Diwali%20%3Cb%3Esale%3C%2Fb%3E%20%26%20more%20%F0%9F%AA%94%0ASee%20you")
        for ext in ["txt", "png", "svg", "html"] {
            #expect(FileManager.default.fileExists(atPath: home.share.appendingPathComponent("group-post.\(ext)").path))
        }
        let html = try String(contentsOf: home.share.appendingPathComponent("group-post.html"), encoding: .utf8)
        #expect(html.contains("Diwali &lt;b&gt;sale&lt;/b&gt; &amp; more 🪔\nSee you"))
        let bad = try IntakeFixture.receipt(home, "empty.json")
        #expect(bad.outcome == .rejected)
        #expect(bad.message == "share: give either \"text\" or \"template\"")
    }
}
