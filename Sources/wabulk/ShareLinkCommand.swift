import ArgumentParser
import Contacts
import Foundation
import ShareLinks
import Templates
import WabulkBase

struct ShareLinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share-link",
        abstract: "Make a wa.me link with prefilled text, its QR code and a small HTML page in outbox/share/.",
        discussion: "Groups cannot be messaged through the API: staff open the link and forward the text by hand."
    )

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "The message text.")
    var text: String?
    @Option(help: "Render this cached template's body instead of --text.")
    var template: String?
    @Option(help: "The template's language.")
    var language = "en_US"
    @Option(name: .customLong("var"), help: "A body variable, in order ({{1}}, {{2}} …) or NAME=VALUE for named templates. Repeatable.")
    var variables: [String] = []
    @Option(help: "Open the chat with this number (any spelling; the default country applies).")
    var phone: String?
    @Option(help: "Base name of the output files (default: share-<time>).")
    var name: String?

    func validate() throws {
        if (text == nil) == (template == nil) { throw ValidationError("give either --text or --template") }
    }

    func run() throws {
        let (home, settings) = try homeOptions.layout()
        let source: ShareRequest.Source
        if let text {
            source = .text(text)
        } else {
            let named = variables.contains { $0.contains("=") }
            source = .template(
                name: template ?? "",
                language: language,
                positional: named ? [] : variables,
                named: named
                    ? Dictionary(
                        variables.compactMap { v in
                            v.firstIndex(of: "=").map { (String(v[..<$0]), String(v[v.index(after: $0)...])) }
                        },
                        uniquingKeysWith: { $1 }
                    ) : [:]
            )
        }
        let request = ShareRequest(source: source, phone: phone, name: name)
        let templates = try TemplateCache.load(home.templatesFile)?.data ?? []
        let link = ShareLink(
            text: try request.text(templates: templates),
            phoneDigits: try request.phoneDigits(
                normalizer: PhoneNormalizer(defaultCountry: settings.defaultCountry, allowsLetters: settings.allowVanityNumbers)
            )
        )
        let output = try ShareOutput.write(link, name: name ?? "share-\(Timestamp.fileStamp(Date()))", into: home.share)
        print(output.link)
        for f in output.files { print(home.share.appendingPathComponent(f).path) }
    }
}
