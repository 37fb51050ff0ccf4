import CloudAPI
import Foundation

/// The business account's templates as the sandbox lists them: a mix of statuses, categories,
/// languages and positional and named placeholders, enough for several pages.
enum SandboxTemplates {
    static let all: [MessageTemplate] = [
        template(
            "diwali_offer",
            "en_US",
            "APPROVED",
            "MARKETING",
            body: "Hi {{1}}, this Diwali take {{2}} off everything in store.",
            header: "Diwali sale"
        ),
        template("diwali_offer", "hi", "APPROVED", "MARKETING", body: "नमस्ते {{1}}, इस दिवाली {{2}} की छूट!"),
        template(
            "order_update",
            "en_US",
            "APPROVED",
            "UTILITY",
            body: "Order {{1}} is {{2}}. Track it below.",
            buttons: [.init(type: "URL", text: "Track", url: "https://shop.example/track/{{1}}")]
        ),
        template("order_update", "es", "APPROVED", "UTILITY", body: "El pedido {{1}} está {{2}}."),
        template("welcome_named", "en_US", "APPROVED", "MARKETING", body: "Welcome {{first_name}}! Your code is {{code}}.", named: true),
        template(
            "appointment_reminder",
            "en_US",
            "APPROVED",
            "UTILITY",
            body: "Reminder: {{1}} on {{2}} at {{3}}.",
            header: "Appointment for {{1}}"
        ),
        template("old_promo", "en_US", "PAUSED", "MARKETING", body: "Last chance, {{1}}!"),
        template("spring_sale", "en_US", "REJECTED", "MARKETING", body: "Spring sale {{1}}"),
        template("new_arrivals", "en_US", "PENDING", "MARKETING", body: "New arrivals for {{1}}"),
        template("legacy_notice", "en_US", "DISABLED", "UTILITY", body: "Notice: {{1}}"),
        template("otp_login", "en_US", "APPROVED", "AUTHENTICATION", body: "{{1}} is your verification code."),
        template("feedback_request", "en_GB", "APPROVED", "UTILITY", body: "How did we do, {{1}}? Reply 1 to 5."),
        // The kinds most real marketing templates are: a media header, named variables, buttons of each kind.
        template(
            "diwali_image",
            "en_US",
            "APPROVED",
            "MARKETING",
            body: "Hi {{first_name}}, take {{discount}} off this Diwali.",
            headerFormat: "IMAGE",
            buttons: [
                .init(type: "URL", text: "Shop now", url: "https://shop.example/d/{{1}}"),
                .init(type: "COPY_CODE", text: "Copy offer code", example: .one("DIWALI20")),
                .init(type: "QUICK_REPLY", text: "Stop promotions"),
            ],
            named: true
        ),
        template("diwali_brochure", "en_US", "APPROVED", "MARKETING", body: "Hi {{1}}, our Diwali catalogue is attached.", headerFormat: "DOCUMENT"),
        template("launch_video", "en_US", "APPROVED", "MARKETING", body: "{{1}}, watch what is new this season.", headerFormat: "VIDEO"),
        template("store_location", "en_US", "APPROVED", "UTILITY", body: "Your order {{1}} is ready for pickup here.", headerFormat: "LOCATION"),
    ]

    static func template(
        _ name: String,
        _ language: String,
        _ status: String,
        _ category: String,
        body: String,
        header: String? = nil,
        headerFormat: String? = nil,
        buttons: [MessageTemplate.Button]? = nil,
        named: Bool = false
    ) -> MessageTemplate {
        var components: [MessageTemplate.Component] = []
        if let header { components.append(.init(type: "HEADER", format: "TEXT", text: header)) }
        if let headerFormat { components.append(.init(type: "HEADER", format: headerFormat)) }
        components.append(.init(type: "BODY", text: body))
        if let buttons { components.append(.init(type: "BUTTONS", buttons: buttons)) }
        let id = String(1_000_000_000 + abs(name.hashValueStable &+ language.hashValueStable) % 1_000_000_000)
        return MessageTemplate(
            id: id,
            name: name,
            language: language,
            status: status,
            category: category,
            parameterFormat: named ? "NAMED" : "POSITIONAL",
            components: components
        )
    }

    /// Meta's page shape: `data`, and `paging` with cursors and `next` only while more remain. The
    /// cursor is the offset, opaque to clients.
    static func page(after: String?, limit: Int, baseURL: String) -> [String: Any] {
        let start = after.flatMap { Data(base64Encoded: $0) }.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        let size = min(max(limit, 1), 100)
        let slice = all.dropFirst(start).prefix(size)
        let encoder = JSONEncoder()
        let data = slice.compactMap { t in (try? encoder.encode(t)).flatMap { try? JSONSerialization.jsonObject(with: $0) } }
        func cursor(_ offset: Int) -> String { Data(String(offset).utf8).base64EncodedString() }
        var paging: [String: Any] = ["cursors": ["before": cursor(start), "after": cursor(start + slice.count)]]
        if start + slice.count < all.count {
            paging["next"] = "\(baseURL)&limit=\(size)&after=\(cursor(start + slice.count))"
        }
        return ["data": data, "paging": paging]
    }
}

extension String {
    /// FNV-1a: the same ids on every run (Swift's hashValue is seeded per process).
    var hashValueStable: Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int(truncatingIfNeeded: hash >> 1)
    }
}
