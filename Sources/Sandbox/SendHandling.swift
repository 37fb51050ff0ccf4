import Foundation
import WabulkBase

/// Answers one POST /{version}/{phone-number-id}/messages like Meta would.
struct SendHandling {
    let script: SandboxScript
    let recorder: RequestRecorder
    let pump: WebhookPump

    func handle(body: Data, authorization: String) async -> (Int, [String: Any]) {
        let sequence = await recorder.nextSequence()
        let trace = "AsbX\(sequence)Tr4ce"
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            object["messaging_product"] as? String == "whatsapp", object["type"] as? String == "template",
            let to = object["to"] as? String, let template = object["template"] as? [String: Any],
            let name = template["name"] as? String,
            let language = (template["language"] as? [String: Any])?["code"] as? String
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
        var bodyParameters: [String] = []
        for component in template["components"] as? [[String: Any]] ?? [] where component["type"] as? String == "body" {
            bodyParameters = (component["parameters"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        }
        let callback = object["biz_opaque_callback_data"] as? String
        let attempt = await recorder.nextAttempt(for: digits)
        var record = SandboxRecord(
            time: Timestamp.format(Date()),
            to: to,
            template: name,
            language: language,
            bodyParameters: bodyParameters,
            callbackData: callback,
            outcome: "accepted"
        )

        let tokenOK =
            authorization.hasPrefix("Bearer ") && authorization.count > 7
            && script.expectedToken.map { authorization == "Bearer \($0)" } ?? true
        guard tokenOK else {
            await reject(record, code: 190)
            return MetaErrorShapes.body(code: 190, traceID: trace)
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
        func status(_ name: String, _ offset: Int) -> [String: Any] {
            var s: [String: Any] = ["id": wamid, "status": name, "timestamp": String(start + offset), "recipient_id": digits]
            if let callback { s["biz_opaque_callback_data"] = callback }
            if name == "sent" || name == "delivered" {
                s["pricing"] = ["billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing"]
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

    private func reject(_ record: SandboxRecord, code: Int) async {
        var record = record
        record.outcome = "error"
        record.errorCode = code
        await recorder.append(record)
        await pump.count(accepted: false)
    }
}
