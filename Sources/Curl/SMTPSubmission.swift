import CCurl

/// One mail handed to an SMTP server through libcurl: smtp:// (STARTTLS when `requireTLS`) or smtps://.
public struct SMTPSubmission: Sendable {
    public var url: String
    public var requireTLS: Bool
    public var username: String?
    public var password: String?
    public var from: String
    public var recipients: [String]
    /// The whole message as it goes on the wire (headers, blank line, MIME body), CRLF line ends.
    public var message: [UInt8]
    public var timeout: Double

    public init(
        url: String,
        requireTLS: Bool,
        username: String? = nil,
        password: String? = nil,
        from: String,
        recipients: [String],
        message: [UInt8],
        timeout: Double = 60
    ) {
        self.url = url
        self.requireTLS = requireTLS
        self.username = username
        self.password = password
        self.from = from
        self.recipients = recipients
        self.message = message
        self.timeout = timeout
    }
}

extension CurlConnection {
    /// Submits the mail; throws with curl's reason (refused connection, TLS required but not offered, a
    /// recipient refused …).
    public func send(_ mail: SMTPSubmission) throws(TransportError) {
        let handle = self.handle
        curl_easy_reset(handle)
        var recipients: UnsafeMutablePointer<curl_slist>? = nil
        for r in mail.recipients { recipients = curl_slist_append(recipients, "<\(r)>") }
        defer { curl_slist_free_all(recipients) }
        let source = UploadSource(bytes: mail.message)
        _ = ccurl_setopt_str(handle, CURLOPT_URL, mail.url)
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(mail.timeout * 1000))
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 10_000)
        _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if mail.requireTLS { _ = ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        if let user = mail.username { _ = ccurl_setopt_str(handle, CURLOPT_USERNAME, user) }
        if let password = mail.password { _ = ccurl_setopt_str(handle, CURLOPT_PASSWORD, password) }
        _ = ccurl_setopt_str(handle, CURLOPT_MAIL_FROM, "<\(mail.from)>")
        _ = ccurl_setopt_ptr(handle, CURLOPT_MAIL_RCPT, UnsafeMutableRawPointer(recipients))
        _ = ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_INFILESIZE, mail.message.count)
        _ = ccurl_setopt_readfunction(handle) { buffer, size, count, context in
            let source = Unmanaged<UploadSource>.fromOpaque(context!).takeUnretainedValue()
            let n = min(size * count, source.bytes.count - source.offset)
            if n > 0, let buffer {
                source.bytes.withUnsafeBufferPointer { b in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: b.baseAddress! + source.offset, byteCount: n)
                }
                source.offset += n
            }
            return n
        }
        _ = ccurl_setopt_ptr(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque())
        let code = withExtendedLifetime(source) { curl_easy_perform(handle) }
        guard code == CURLE_OK else {
            throw TransportError(
                code: Int(code.rawValue),
                message: String(cString: curl_easy_strerror(code)),
                isTimeout: code == CURLE_OPERATION_TIMEDOUT
            )
        }
    }
}

private final class UploadSource {
    let bytes: [UInt8]
    var offset = 0
    init(bytes: [UInt8]) { self.bytes = bytes }
}

extension CurlConnection {
    /// Connects, greets (EHLO, STARTTLS when `requireTLS`, AUTH when a user is given) and says NOOP: whether
    /// mail could be handed over, without sending any. Throws with curl's reason.
    public func checkSMTP(url: String, requireTLS: Bool, username: String?, password: String?, timeout: Double = 15) throws(TransportError) {
        let handle = self.handle
        curl_easy_reset(handle)
        _ = ccurl_setopt_str(handle, CURLOPT_URL, url)
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(timeout, 10) * 1000))
        _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if requireTLS { _ = ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        if let username { _ = ccurl_setopt_str(handle, CURLOPT_USERNAME, username) }
        if let password { _ = ccurl_setopt_str(handle, CURLOPT_PASSWORD, password) }
        _ = ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, "NOOP")
        // What the server answers is not kept (curl's default would print it to stdout).
        _ = ccurl_setopt_writefunction(handle) { _, size, count, _ in size * count }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            throw TransportError(
                code: Int(code.rawValue),
                message: String(cString: curl_easy_strerror(code)),
                isTimeout: code == CURLE_OPERATION_TIMEDOUT
            )
        }
    }
}
