import Curl
import Foundation
import Logging
import WabulkBase

/// Sends report mails through the configured SMTP server, retrying with backoff; failures are logged and
/// never reach the sending path (it runs in its own task).
public struct ReportMailer: Sendable {
    public struct Server: Sendable, Equatable {
        public var url: String
        public var requireTLS: Bool
        public var username: String?
        public var password: Secret?
        public init(url: String, requireTLS: Bool, username: String? = nil, password: Secret? = nil) {
            self.url = url
            self.requireTLS = requireTLS
            self.username = username
            self.password = password
        }
    }

    public let server: Server
    public var attempts = 5
    public var backoff: Duration = .seconds(30)
    public var sleep: @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    let logger: Logger

    public init(server: Server, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    /// True once the server took it; false after the last attempt failed.
    @discardableResult
    public func send(_ mail: ReportMail, now: Date = Date()) async -> Bool {
        let submission = SMTPSubmission(
            url: server.url,
            requireTLS: server.requireTLS || server.url.hasPrefix("smtps://"),
            username: server.username,
            password: server.password?.reveal(),
            from: mail.from,
            recipients: mail.to,
            message: mail.rendered(date: now)
        )
        for attempt in 1...attempts {
            do {
                try CurlConnection().send(submission)
                logger.info("report mailed to \(mail.to.joined(separator: ", ")): \(mail.subject)")
                return true
            } catch {
                logger.warning("report mail attempt \(attempt) of \(attempts) failed: \(error.message)")
                if attempt < attempts { await sleep(backoff * (1 << (attempt - 1))) }
            }
        }
        logger.error("report mail given up after \(attempts) attempts: \(mail.subject)")
        return false
    }
}
