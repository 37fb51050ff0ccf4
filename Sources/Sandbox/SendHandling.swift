import Foundation
import WabulkBase

/// Answers one POST /{version}/{phone-number-id}/messages like Meta would.
struct SendHandling {
    let script: SandboxScript
    let recorder: RequestRecorder
    let pump: WebhookPump
    let media: SandboxMedia
    let gate: SendGate
    let account: SandboxAccount

    func handle(body: Data, authorization: String) async -> (Int, [String: Any]) {
        let sequence = await recorder.nextSequence()
        let trace = "AsbX\(sequence)Tr4ce"
        guard let object = JSONValue.parse(bytes: body), object["messaging_product"]?.string == "whatsapp",
            object["type"]?.string == "template", let to = object["to"]?.string, let template = object["template"],
            let name = template["name"]?.string, let language = template["language"]?["code"]?.string
        else {
            await reject(
                SandboxRecord(
                    time: Timestamp.format(Date()),
                    to: "",
                    template: "",
                    language: "",
                    bodyParameters: [],
                    callbackData: nil,
                    outcome: "error"
                ),
                code: 100
            )
            return MetaErrorShapes.body(code: 100, traceID: trace)
        }
        let digits = to.filter(\.isNumber)
        await gate.arrived(digits: digits)
        var bodyParameters: [String] = []
        for component in template["components"]?.items ?? [] where component["type"]?.string == "body" {
            bodyParameters = (component["parameters"]?.items ?? []).compactMap { $0["text"]?.string }
        }
        let callback = object["biz_opaque_callback_data"]?.string
        let attempt = await recorder.nextAttempt(for: digits)
        var record = SandboxRecord(
            time: Timestamp.format(Date()),
            to: to,
            template: name,
            language: language,
            bodyParameters: bodyParameters,
            callbackData: callback,
            request: String(decoding: body, as: UTF8.self),
            outcome: "accepted"
        )

        let tokenOK =
            authorization.hasPrefix("Bearer ") && authorization.count > 7
            && script.expectedToken.map { authorization == "Bearer \($0)" } ?? true
        guard tokenOK else {
            await reject(record, code: 190)
            return MetaErrorShapes.body(code: 190, traceID: trace)
        }

        if let known = SandboxTemplates.all.first(where: { $0.name == name && $0.language == language }),
            let refusal = TemplateRequestCheck.check(template, against: known)
        {
            await reject(record, code: refusal.code)
            return MetaErrorShapes.body(code: refusal.code, traceID: trace, details: refusal.details)
        }
        // A media header sent by id: the id must be one uploaded here, and not expired.
        for component in template["components"]?.items ?? [] where component["type"]?.string == "header" {
            for parameter in component["parameters"]?.items ?? [] {
                guard let kind = parameter["type"]?.string, let id = parameter[kind]?["id"]?.string else { continue }
                if let problem = await media.use(id) {
                    await reject(record, code: 131053)
                    return MetaErrorShapes.body(code: 131053, traceID: trace, details: problem)
                }
            }
        }

        let late = script.lateAnswers.first { $0.digits == digits && ($0.times.map { attempt <= $0 } ?? true) }
        if let late, late.lost {
            record.outcome = "lost"
            await recorder.append(record)
            try? await Task.sleep(for: late.delay)
            return MetaErrorShapes.body(code: 131000, traceID: trace)
        }
        let (status, json) = await accept(record, digits: digits, sequence: sequence, trace: trace, callback: callback, attempt: attempt)
        if let late { try? await Task.sleep(for: late.delay) }
        return (status, json)
    }

    private func accept(
        _ record: SandboxRecord,
        digits: String,
        sequence: Int,
        trace: String,
        callback: String?,
        attempt: Int
    ) async -> (Int, [String: Any]) {
        var record = record
        let to = record.to
        if let limit = await account.messagingLimit, await !recorder.reach(digits, now: script.now(), limit: limit) {
            // Meta does not document the code for a send past the messaging limit; 131048's family stands in.
            await reject(record, code: 131048)
            return MetaErrorShapes.body(code: 131048, traceID: trace, details: "messaging limit of \(limit) unique users in 24 hours reached")
        }
        let failure = script.failures.first { $0.matches(digits: digits) && ($0.times.map { attempt <= $0 } ?? true) }
        if let failure, !failure.async {
            await reject(record, code: failure.code)
            return MetaErrorShapes.body(code: failure.code, traceID: trace)
        }

        let wamid = "wamid." + Data("HBgM\(digits)FQIAERgS\(String(format: "%012X", sequence))".utf8).base64EncodedString()
        record.wamid = wamid
        let final: String = failure != nil ? "failed" : (script.isRead(digits: digits) ? "read" : "delivered")
        record.finalStatus = final
        await recorder.append(record)
        await pump.count(accepted: true)

        let start = Int(Date().timeIntervalSince1970)
        // Per-message pricing by the template's category (marketing when the sandbox does not list it), and
        // the business-scoped user id Meta sends beside the number.
        let category = SandboxTemplates.all.first { $0.name == record.template }?.category?.lowercased() ?? "marketing"
        let userID = Self.userID(digits: digits)
        func status(_ name: String, _ offset: Int) -> [String: Any] {
            var s: [String: Any] = [
                "id": wamid, "status": name, "timestamp": String(start + offset), "recipient_id": digits, "recipient_user_id": userID,
            ]
            if let callback { s["biz_opaque_callback_data"] = callback }
            if name == "sent" || name == "delivered" {
                s["pricing"] = ["billable": true, "pricing_model": "PMP", "type": "regular", "category": category]
            }
            return s
        }
        let step = script.statusDelay
        await pump.schedule(status("sent", 0), after: step)
        if let failure {
            var failed = status("failed", 1)
            failed["errors"] = [MetaErrorShapes.webhookError(code: failure.code)]
            await pump.schedule(failed, after: step * 2)
        } else {
            await pump.schedule(status("delivered", 1), after: step * 2)
            if final == "read" { await pump.schedule(status("read", 2), after: step * 3) }
        }
        return (
            200,
            [
                "messaging_product": "whatsapp",
                "contacts": [["input": to, "wa_id": digits]],
                "messages": [["id": wamid, "message_status": "accepted"]],
            ]
        )
    }

    /// A stable business-scoped user id per number, in Meta's `CC.digits` form.
    static func userID(digits: String) -> String {
        let country = digits.hasPrefix("91") ? "IN" : digits.hasPrefix("1") ? "US" : "ZZ"
        return "\(country).\(UInt64(bitPattern: Int64(digits.hashValueStable)))"
    }

    private func reject(_ record: SandboxRecord, code: Int) async {
        var record = record
        record.outcome = "error"
        record.errorCode = code
        await recorder.append(record)
        await pump.count(accepted: false)
    }
}
