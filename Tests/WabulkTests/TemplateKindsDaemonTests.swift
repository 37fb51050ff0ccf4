import Foundation
import Testing
import WabulkBase

/// The kinds of template real businesses use, end to end: the real daemon and the real sandbox (separate
/// processes, loopback HTTP), the template list synced from the sandbox, and every request body the sandbox
/// recorded compared whole with Meta's documented shape.
@Suite(.serialized) struct TemplateKindsDaemonTests {
    typealias Rig = SuppressionFlowTests.Rig

    static let account = ["WHATSAPP_BUSINESS_ACCOUNT_ID": "102290129340398"]

    /// A small but real PDF (a viewer opens it), so the type check reads real magic bytes.
    static let pdf = Data(
        """
        %PDF-1.4
        1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
        2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
        3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
        trailer << /Root 1 0 R >>
        %%EOF

        """.utf8
    )

    static func phone(_ i: Int) -> String { "+9198765\(String(format: "%05d", i))" }

    @Test func aNamedImageTemplateWithButtonsGoesAsMetaDocumentsIt() async throws {
        let rig = try Rig(sandboxArguments: [], settings: Self.account.merging(["WABULK_RATE": "600/min"]) { _, b in b })
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        defer { rig.daemon.stop() }
        let sync = try await rig.wabulk(["templates", "sync"])
        #expect(sync.status == 0, "\(sync.stderr)")

        try rig.drop("contacts.csv", "Name,Phone,Customer ID\nAsha,\(Self.phone(1)),A-1\nRavi,\(Self.phone(2)),R-2\nMeena,\(Self.phone(3)),M-3\n")
        let good =
            #"{"id": "img", "template": {"name": "diwali_image", "language": "en_US"}, "audience": {"all": true}, "variables": {"header": {"image": "https://cdn.example/diwali.jpg"}, "body": {"first_name": "{name}", "discount": "20%"}, "buttons": [{"index": 0, "url": "{customer id}"}, {"index": 1, "copyCode": "DIWALI20"}, {"index": 2, "payload": "diwali-stop"}]}}"#
        try rig.drop("good.json", good)
        // Four manifests staff get wrong, each refused with one precise line.
        try rig.drop(
            "wrong-name.json",
            good.replacingOccurrences(of: #""first_name""#, with: #""firstname""#).replacingOccurrences(of: #""img""#, with: #""w1""#)
        )
        try rig.drop(
            "no-media.json",
            good.replacingOccurrences(of: #""header": {"image": "https://cdn.example/diwali.jpg"}, "#, with: "").replacingOccurrences(
                of: #""img""#,
                with: #""w2""#
            )
        )
        try rig.drop(
            "bad-button.json",
            good.replacingOccurrences(of: #"{"index": 2, "payload": "diwali-stop"}"#, with: #"{"index": 3, "payload": "diwali-stop"}"#)
                .replacingOccurrences(of: #""img""#, with: #""w3""#)
        )
        // A 20 MB picture (JPEG bytes): refused when dropped, and the manifest naming it says why.
        var big = Data([0xFF, 0xD8, 0xFF, 0xE0])
        big.append(Data(count: 20 << 20))
        try big.write(to: rig.home.appendingPathComponent("inbox/poster.jpg"))
        try rig.drop(
            "big-image.json",
            good.replacingOccurrences(of: "https://cdn.example/diwali.jpg", with: "poster.jpg").replacingOccurrences(of: #""img""#, with: #""w4""#)
        )
        try rig.daemon.start()

        // Every receipt, not just the first and last dropped: the daemon takes the files in no set order.
        let dropped = ["good.json", "wrong-name.json", "no-media.json", "bad-button.json", "big-image.json"]
        #expect(try await eventually { dropped.allSatisfy { rig.receipt($0) != nil } })
        #expect((rig.receipt("good.json")?["campaign"] as? [String: Any])?["queued"] as? Int == 3)
        func lines(_ name: String) -> [String] {
            (rig.receipt(name)?["problems"] as? [[String: Any]] ?? []).map { "\($0["field"] as? String ?? ""): \($0["reason"] as? String ?? "")" }
        }
        #expect(
            lines("wrong-name.json") == [
                "variables.body.firstname: the template's body has no {{firstname}}: did you mean {{first_name}}?"
            ]
        )
        #expect(
            lines("no-media.json") == [
                #"variables.header: the template's header is an IMAGE: give {"image": "https://…"}, a media id or a file dropped into inbox/"#
            ]
        )
        #expect(
            lines("bad-button.json") == [
                "variables.buttons[2]: the template has no button 3 that takes a value; its buttons that do: 0 (url), 1 (copy_code), 2 (quick_reply)"
            ]
        )
        #expect(
            lines("big-image.json") == [
                "variables.header.image: was refused: poster.jpg 20 MB is over WhatsApp's limit of 5 MB for image/jpeg"
            ]
        )
        #expect(rig.receipt("poster.jpg")?["outcome"] as? String == "rejected")
        #expect(FileManager.default.fileExists(atPath: rig.home.appendingPathComponent("outbox/rejected/poster.jpg").path))

        #expect(try await eventually { await rig.records().filter { $0["outcome"] as? String == "accepted" }.count == 3 })
        let records = await rig.records()
        #expect(records.count == 3)
        let sent = Set(records.compactMap { $0["request"] as? String })
        let expected: Set<String> = Set(
            [("Asha", 1, "A-1"), ("Ravi", 2, "R-2"), ("Meena", 3, "M-3")].map { name, i, id in
                let job = records.first { $0["to"] as? String == Self.phone(i) }?["callbackData"] as? String ?? "?"
                return TemplateKindsTests.namedImageBody(to: Self.phone(i), first: name, suffix: id, callback: job)
            }
        )
        #expect(sent == expected)
    }

    @Test func aDocumentDroppedWithTheManifestIsUploadedOnceAndAgainWhenItsIdExpires() async throws {
        let rig = try Rig(
            sandboxArguments: ["--media-expires-after", "300"],
            settings: Self.account.merging(["WABULK_RATE": "6000/min", "WABULK_CONCURRENCY": "8"]) { _, b in b }
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        defer { rig.daemon.stop() }
        #expect(try await rig.wabulk(["templates", "sync"]).status == 0)

        try rig.drop("contacts.csv", "Name,Phone\n" + (1...500).map { "P\($0),\(Self.phone($0))" }.joined(separator: "\n") + "\n")
        try Self.pdf.write(to: rig.home.appendingPathComponent("inbox/brochure.pdf"))
        try rig.drop(
            "brochure.json",
            #"{"id": "doc", "template": {"name": "diwali_brochure", "language": "en_US"}, "audience": {"all": true}, "variables": {"header": {"document": "brochure.pdf", "filename": "Diwali offers.pdf"}, "body": ["{name}"]}}"#
        )
        try rig.daemon.start()
        #expect(try await eventually { rig.receipt("brochure.json") != nil })
        #expect((rig.receipt("brochure.json")?["campaign"] as? [String: Any])?["queued"] as? Int == 500)
        #expect(
            rig.receipt("brochure.pdf")?["message"] as? String
                == #"kept for media headers (application/pdf, 1 KB): a manifest names it as "header": {"document": "brochure.pdf"}"#
        )

        #expect(try await eventually(timeout: 120) { await rig.records().filter { $0["outcome"] as? String == "accepted" }.count == 500 })
        let records = await rig.records()
        let accepted = records.filter { $0["outcome"] as? String == "accepted" }
        // Every person exactly once; the sends that met the expired id (at most one per worker, as eight were
        // in flight) were refused with 131053 and sent again with the new id.
        #expect(accepted.count == 500)
        #expect(Set(accepted.compactMap { $0["to"] as? String }).count == 500)
        let refused = records.filter { $0["outcome"] as? String == "error" }
        #expect((1...8).contains(refused.count))
        #expect(refused.allSatisfy { $0["errorCode"] as? Int == 131053 })
        let stats = try #require(await rig.get("/sandbox/stats") as? [String: Any])
        #expect(stats["mediaUploads"] as? Int == 2)
        // Two ids: 300 sends with the first, the other 200 with the second, each body Meta's document shape.
        var byID: [String: Int] = [:]
        for record in accepted {
            let request = try #require(record["request"] as? String)
            let to = try #require(record["to"] as? String)
            let job = try #require(record["callbackData"] as? String)
            let id = try #require(request.range(of: #""id":""#).map { String(request[$0.upperBound...].prefix { $0 != "\"" }) })
            byID[id, default: 0] += 1
            let i = Int(to.suffix(5))!
            #expect(
                request
                    == #"{"biz_opaque_callback_data":"\#(job)","messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"document":{"filename":"Diwali offers.pdf","id":"\#(id)"},"type":"document"}],"type":"header"},{"parameters":[{"text":"P\#(i)","type":"text"}],"type":"body"}],"language":{"code":"en_US"},"name":"diwali_brochure"},"to":"\#(to)","type":"template"}"#
            )
        }
        #expect(byID.values.sorted() == [200, 300])
        #expect(rig.daemonLog().contains("media brochure.pdf: Meta could not fetch it; uploading it again"))
    }
}
