import EventLog
import WabulkBase

/// A POST that carries only delivery statuses (sent, delivered, read) — nearly all of what Meta sends a bulk
/// sender — read through a `JSONTape` and written as log lines straight from its bytes: the same lines
/// `WebhookPayload.events` and the event log give (a test holds them equal over generated bodies and the
/// fuzz corpus), at a fraction of the cost. Anything else — a reply, a preference, a failure with its error,
/// a user id, an escaped or unusual value — is declined and read the general way.
enum StatusBatch {
    struct Lines {
        /// The raw body's line, then one per status.
        var bytes: [UInt8]
        var statuses: [MessageStatus]
    }

    static func lines(_ body: UnsafeRawBufferPointer, time: String) -> Lines? {
        guard let tape = JSONTape.parse(body) else { return nil }
        let e = tape.entries
        guard e[0].kind == .object, let entry = tape.member(0, "entry", in: body), e[entry].kind == .array else { return nil }
        var statuses: [WebhookLines.Status] = []
        for entryIndex in tape.items(entry) where e[entryIndex].kind == .object {
            guard let changes = tape.member(entryIndex, "changes", in: body) else { continue }
            guard e[changes].kind == .array else { return nil }
            for change in tape.items(changes) where e[change].kind == .object {
                guard let field = tape.member(change, "field", in: body), tape.names(field, "messages", in: body),
                    let value = tape.member(change, "value", in: body), e[value].kind == .object,
                    tape.member(value, "messages", in: body) == nil, tape.member(value, "contacts", in: body) == nil,
                    tape.member(value, "user_preferences", in: body) == nil,
                    let list = tape.member(value, "statuses", in: body), e[list].kind == .array
                else { return nil }
                for item in tape.items(list) where e[item].kind == .object {
                    guard let status = status(item, tape, body) else { return nil }
                    statuses.append(status)
                }
            }
        }
        guard !statuses.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.count + body.count / 8 + statuses.count * 320)
        WebhookLines.appendRaw(body, time: time, to: &bytes)
        for status in statuses { WebhookLines.appendStatus(status, time: time, to: &bytes) }
        return Lines(bytes: bytes, statuses: statuses.map(\.status))
    }

    /// One status object's fields, or nil to decline the body.
    private static func status(_ s: Int, _ tape: JSONTape, _ body: UnsafeRawBufferPointer) -> WebhookLines.Status? {
        guard let statusIndex = tape.member(s, "status", in: body), let statusText = tape.plainBytes(statusIndex, in: body) else { return nil }
        let status: MessageStatus
        if statusText.elementsEqual("sent".utf8) {
            status = .sent
        } else if statusText.elementsEqual("delivered".utf8) {
            status = .delivered
        } else if statusText.elementsEqual("read".utf8) {
            status = .read
        } else {
            return nil
        }
        guard tape.member(s, "errors", in: body) == nil, tape.member(s, "recipient_user_id", in: body) == nil,
            tape.member(s, "recipient_parent_user_id", in: body) == nil
        else { return nil }
        var out = WebhookLines.Status(status: status)
        // Present means a plain string (else declined); empty means absent, as the general reader has it.
        func plain(_ key: StaticString) -> UnsafeRawBufferPointer?? {
            guard let index = tape.member(s, key, in: body) else { return .some(nil) }
            guard let bytes = tape.plainBytes(index, in: body) else { return nil }
            return .some(bytes)
        }
        guard let job = plain("biz_opaque_callback_data"), let recipient = plain("recipient_id"), let wamid = plain("id"),
            let timestamp = plain("timestamp")
        else { return nil }
        out.job = job.flatMap { $0.isEmpty ? nil : $0 }
        out.recipient = recipient.flatMap { $0.isEmpty ? nil : $0 }
        out.wamid = wamid
        if let timestamp {
            // Digits only, short enough not to overflow: what `Int(_:)` reads the same way.
            guard (1...18).contains(timestamp.count), timestamp.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { return nil }
            out.metaTime = timestamp.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        if let pricing = tape.member(s, "pricing", in: body) {
            guard tape.entries[pricing].kind == .object else { return nil }
            func price(_ key: StaticString) -> UnsafeRawBufferPointer?? {
                guard let index = tape.member(pricing, key, in: body) else { return .some(nil) }
                return tape.plainBytes(index, in: body).map { .some($0) }
            }
            guard let category = price("category"), let type = price("type") else { return nil }
            out.pricingCategory = category
            out.pricingType = type
        }
        return out
    }
}
