import CloudAPI
import Foundation
import Reports
import Testing
import WabulkBase

@testable import Campaigns
@testable import Sandbox
@testable import Spool

/// Every kind of template a business can create: NAMED parameters, media and location headers, URL,
/// COPY_CODE and QUICK_REPLY buttons. Request bodies are compared whole with the shapes Meta documents
/// (meta-cloud-api.md, sections 2 and 14).
@Suite struct TemplateKindsTests {
    static let named = TemplateParameters(
        header: .media(.init(kind: .image, source: .link("https://cdn.example/diwali.jpg"))),
        body: [.init("Asha", name: "first_name"), .init("20%", name: "discount")],
        buttons: [
            .init(index: 0, kind: .url, value: "asha-01"), .init(index: 1, kind: .copyCode, value: "DIWALI20"),
            .init(index: 2, kind: .quickReply, value: "diwali-stop"),
        ]
    )

    /// Meta's documented body for a NAMED template with an image header and three kinds of button.
    static func namedImageBody(to: String, first: String, suffix: String, callback: String) -> String {
        #"{"biz_opaque_callback_data":"\#(callback)","messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"image":{"link":"https://cdn.example/diwali.jpg"},"type":"image"}],"type":"header"},{"parameters":[{"parameter_name":"first_name","text":"\#(first)","type":"text"},{"parameter_name":"discount","text":"20%","type":"text"}],"type":"body"},{"index":"0","parameters":[{"text":"\#(suffix)","type":"text"}],"sub_type":"url","type":"button"},{"index":"1","parameters":[{"coupon_code":"DIWALI20","type":"coupon_code"}],"sub_type":"copy_code","type":"button"},{"index":"2","parameters":[{"payload":"diwali-stop","type":"payload"}],"sub_type":"quick_reply","type":"button"}],"language":{"code":"en_US"},"name":"diwali_image"},"to":"\#(to)","type":"template"}"#
    }

    func body(_ parameters: TemplateParameters, template: String = "diwali_image") -> String {
        String(
            decoding: TemplateMessage(
                to: "+919876500001",
                templateName: template,
                language: "en_US",
                parameters: parameters,
                callbackData: "c.0000001"
            )
            .requestBody(),
            as: UTF8.self
        )
    }

    @Test func eachKindIsWrittenAsMetaDocumentsIt() {
        #expect(body(Self.named) == Self.namedImageBody(to: "+919876500001", first: "Asha", suffix: "asha-01", callback: "c.0000001"))
        let document = TemplateParameters(
            header: .media(.init(kind: .document, source: .id("1037543291543636"), filename: "Diwali offers.pdf")),
            body: [.init("Asha")]
        )
        #expect(
            body(document, template: "diwali_brochure")
                == #"{"biz_opaque_callback_data":"c.0000001","messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"document":{"filename":"Diwali offers.pdf","id":"1037543291543636"},"type":"document"}],"type":"header"},{"parameters":[{"text":"Asha","type":"text"}],"type":"body"}],"language":{"code":"en_US"},"name":"diwali_brochure"},"to":"+919876500001","type":"template"}"#
        )
        let location = TemplateParameters(
            header: .location(.init(latitude: 19.076, longitude: 72.8777, name: "Our store", address: "1 Main Road")),
            body: [.init("A-17")]
        )
        #expect(
            body(location, template: "store_location")
                == #"{"biz_opaque_callback_data":"c.0000001","messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"location":{"address":"1 Main Road","latitude":"19.076","longitude":"72.8777","name":"Our store"},"type":"location"}],"type":"header"},{"parameters":[{"text":"A-17","type":"text"}],"type":"body"}],"language":{"code":"en_US"},"name":"store_location"},"to":"+919876500001","type":"template"}"#
        )
        // The positional shape is byte for byte what wabulk always sent.
        #expect(
            body(TemplateParameters(header: [], body: ["Asha", "20%"], buttons: ["sale"]), template: "t")
                == #"{"biz_opaque_callback_data":"c.0000001","messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"text":"Asha","type":"text"},{"text":"20%","type":"text"}],"type":"body"},{"index":"0","parameters":[{"text":"sale","type":"text"}],"sub_type":"url","type":"button"}],"language":{"code":"en_US"},"name":"t"},"to":"+919876500001","type":"template"}"#
        )
    }

    @Test func theSandboxChecksRequestsAsMetaDoes() throws {
        func check(_ parameters: TemplateParameters, _ name: String = "diwali_image") throws -> TemplateRequestCheck.Refusal? {
            let request = try #require(JSONValue.parse(Array(body(parameters, template: name).utf8)))
            let template = try #require(SandboxTemplates.all.first { $0.name == name })
            return TemplateRequestCheck.check(try #require(request["template"]), against: template)
        }
        #expect(try check(Self.named) == nil)
        var wrongName = Self.named
        wrongName.body[0].name = "firstname"
        #expect(try check(wrongName) == .init(code: 132000, details: "body: Parameter name is missing or invalid"))
        var noMedia = Self.named
        noMedia.header = nil
        #expect(try check(noMedia) == .init(code: 132012, details: "header: Format mismatch, expected IMAGE, received nothing"))
        var noCode = Self.named
        noCode.buttons.remove(at: 1)
        #expect(try check(noCode) == .init(code: 132000, details: "buttons: parameter for button at index 1 (copy_code) is missing"))
        #expect(
            try check(.init(header: .media(.init(kind: .image, source: .link("https://x.example/a.jpg"))), body: [.init("A")]), "diwali_brochure")
                == .init(code: 132012, details: "header: Format mismatch, expected DOCUMENT, received IMAGE")
        )
    }

    @Test func parametersKeepTheirShapeInTheSpool() async throws {
        let dir = TempDir()
        let spool = Spool(directory: dir.url)
        let kinds: [TemplateParameters] = [
            Self.named,
            .init(header: .media(.init(kind: .document, source: .file("brochure.pdf"), filename: "Offers \"2026\".pdf")), body: [.init("x")]),
            .init(header: .location(.init(latitude: -33.8688, longitude: 151.2093, name: nil, address: "Sydney")), body: []),
            .init(header: .text([.init("Asha", name: "first_name")]), body: [.init("é😀\n", name: "note")]),
            .init(header: ["h"], body: ["b1", "b2"], buttons: ["s0", "s1"]),
        ]
        let jobs = kinds.enumerated().map { i, p in
            SpoolJob(
                campaign: "kinds",
                sequence: i + 1,
                phone: "+9198765000\(10 + i)",
                name: "P\(i)",
                template: .init(name: "t", language: "en_US", parameters: p)
            )
        }
        try await spool.enqueue(jobs)
        var back: [TemplateParameters] = []
        while let job = try await spool.claimNext(now: Date()) { back.append(job.template.parameters) }
        #expect(back == kinds)
        // A row written before these kinds existed: lists of strings.
        let legacy = TemplateParameters(headerColumn: #"["Diwali"]"#, bodyColumn: #"["Asha","20%"]"#, buttonsColumn: #"["sale"]"#)
        #expect(legacy == TemplateParameters(header: ["Diwali"], body: ["Asha", "20%"], buttons: ["sale"]))
        #expect(TemplateParameters(header: [], body: ["a"], buttons: ["s"]).bodyColumn == #"["a"]"#)
    }

    static let catalog = TemplateCatalog(templates: SandboxTemplates.all)

    func problems(_ variables: String, template: String = "diwali_image") throws -> [String] {
        let manifest = try ManifestReader.read(
            Data(
                #"{"id": "k", "template": {"name": "\#(template)", "language": "en_US"}, "audience": {"all": true}, "variables": \#(variables)}"#.utf8
            ),
            fileName: "k.json"
        )
        return Self.catalog.problems(for: manifest).map(\.description)
    }

    static let goodButtons = #"[{"index": 0, "url": "{code}"}, {"index": 1, "copyCode": "DIWALI20"}, {"index": 2, "payload": "stop"}]"#

    @Test func eachMismatchIsOnePreciseLine() throws {
        let image = #""header": {"image": "https://cdn.example/d.jpg"}"#
        #expect(try problems(#"{\#(image), "body": {"first_name": "{name}", "discount": "20%"}, "buttons": \#(Self.goodButtons)}"#) == [])
        #expect(
            try problems(#"{\#(image), "body": {"first_name": "{name}", "discont": "20%"}, "buttons": \#(Self.goodButtons)}"#) == [
                "variables.body.discont: the template's body has no {{discont}}: did you mean {{discount}}?"
            ]
        )
        #expect(
            try problems(#"{\#(image), "body": {"first_name": "{name}", "coupon_value": "20%"}, "buttons": \#(Self.goodButtons)}"#) == [
                "variables.body.coupon_value: the template's body has no {{coupon_value}} (it has {{first_name}}, {{discount}})",
                "variables.body.discount: missing: the template's body has {{first_name}}, {{discount}}",
            ]
        )
        #expect(
            try problems(#"{\#(image), "body": {"First_Name": "{name}", "discount": "20%"}, "buttons": \#(Self.goodButtons)}"#) == [
                "variables.body.First_Name: wrong case: the template names it {{first_name}}"
            ]
        )
        #expect(
            try problems(#"{"body": {"first_name": "{name}", "discount": "20%"}, "buttons": \#(Self.goodButtons)}"#) == [
                #"variables.header: the template's header is an IMAGE: give {"image": "https://…"}, a media id or a file dropped into inbox/"#
            ]
        )
        #expect(
            try problems(
                #"{\#(image), "body": {"first_name": "{name}", "discount": "20%"}, "buttons": [{"index": 0, "url": "{code}"}, {"index": 1, "copyCode": "X"}, {"index": 5, "payload": "p"}]}"#
            ) == [
                "variables.buttons[2]: the template has no button 5 that takes a value; its buttons that do: 0 (url), 1 (copy_code), 2 (quick_reply)"
            ]
        )
        #expect(
            try problems(#"{\#(image), "body": {"first_name": "{name}", "discount": "20%"}, "buttons": [{"index": 0, "copyCode": "X"}]}"#) == [
                "variables.buttons[0]: button 0 (Shop now) is url, not copy_code",
                "variables.buttons: button 1 (Copy offer code, copy_code) needs a value",
            ]
        )
        #expect(
            try problems(#"{"header": {"image": "https://cdn.example/a.jpg"}, "body": ["{name}"]}"#, template: "diwali_brochure") == [
                "variables.header.image: the template's header is a DOCUMENT, not an IMAGE"
            ]
        )
        #expect(
            try problems(#"{"header": {"location": {"latitude": 19.07, "longitude": 72.87}}, "body": ["A"]}"#, template: "store_location") == []
        )
        #expect(
            try problems(#"{"body": ["A"]}"#, template: "store_location") == [
                #"variables.header: the template's header is a LOCATION: give {"location": {"latitude": …, "longitude": …}}"#
            ]
        )
    }

    @Test func formsStaffGetWrongAreRefusedByTheReader() {
        func rejection(_ variables: String) -> [String] {
            do {
                _ = try ManifestReader.read(
                    Data(#"{"id": "k", "template": {"name": "t", "language": "en_US"}, "audience": {"all": true}, "variables": \#(variables)}"#.utf8),
                    fileName: "k.json"
                )
                return []
            } catch { return error.problems.map(\.description) }
        }
        #expect(
            rejection(#"{"header": {"location": {"latitude": 95, "longitude": 10}}}"#) == [
                #"variables.header.location: needs "latitude" (-90 to 90) and "longitude" (-180 to 180) as numbers; "name" and "address" may follow"#
            ]
        )
        #expect(
            rejection(#"{"header": {"image": "a.jpg", "filename": "x.jpg"}}"#) == [
                "variables.header.filename: only a document header has a file name"
            ]
        )
        #expect(
            rejection(#"{"buttons": [{"index": 0, "url": "a", "payload": "b"}]}"#) == [
                #"variables.buttons[0]: a button is {"index": N, "url": "…"}, {"index": N, "copyCode": "…"} or {"index": N, "payload": "…"} (N from 0, as the template orders its buttons)"#
            ]
        )
        #expect(rejection(#"{"body": {"a": 1}}"#) == ["variables.body.a: must be a string"])
    }

    /// The campaign record keeps the variables in the manifest's own shape, and reads records written before.
    @Test func variablesRoundTripThroughTheCampaignRecord() throws {
        let variables = CampaignManifest.Variables(
            header: .media(kind: .document, source: .file("brochure.pdf"), filename: "Offers.pdf"),
            body: .named(["first_name": "{name}"]),
            buttons: [.init(value: "legacy"), .init(index: 1, kind: .copyCode, value: "X")]
        )
        let data = try JSONEncoder().encode(variables)
        #expect(try JSONDecoder().decode(CampaignManifest.Variables.self, from: data) == variables)
        let old = try JSONDecoder().decode(
            CampaignManifest.Variables.self,
            from: Data(#"{"header": ["a"], "body": ["b", "c"], "buttons": ["d"]}"#.utf8)
        )
        #expect(old == .init(header: .text(.positional(["a"])), body: .positional(["b", "c"]), buttons: [.init(value: "d")]))
        let location = CampaignManifest.Variables(header: .location(.init(latitude: 1.5, longitude: 2, name: "n", address: nil)))
        #expect(try JSONDecoder().decode(CampaignManifest.Variables.self, from: try JSONEncoder().encode(location)) == location)
    }

    /// Every example in outbox/templates.xlsx, pasted into a manifest, fits its template.
    @Test func everyTemplatesExampleIsAcceptedAsIs() throws {
        for t in SandboxTemplates.all where t.status == "APPROVED" {
            let text = "{\"id\": \"e\", \(TemplatesWorkbook.variablesExample(t)), \"audience\": {\"all\": true}}"
            let manifest = try ManifestReader.read(Data(text.utf8), fileName: "e.json")
            #expect(Self.catalog.problems(for: manifest).map(\.description) == [], "\(t.name) \(t.language): \(text)")
        }
    }
}
