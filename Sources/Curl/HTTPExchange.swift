/// An HTTP request as wabulk's clients describe it, with no libcurl types.
public struct HTTPRequest: Sendable {
    /// One part of a `multipart/form-data` body: a text field, or a file streamed from disk by libcurl
    /// (a 100 MB document is never held in memory).
    public enum FormPart: Sendable, Equatable {
        case text(name: String, value: String)
        case file(name: String, path: String, filename: String, contentType: String)
    }

    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// A form body instead of `body` (POST, `multipart/form-data` with curl's own boundary).
    public var form: [FormPart]?
    /// Whole-request limit in seconds.
    public var timeout: Double
    public var connectTimeout: Double

    public init(
        method: String,
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeout: Double = 15,
        connectTimeout: Double = 5
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }

    public init(url: String, headers: [(name: String, value: String)] = [], form: [FormPart], timeout: Double = 120, connectTimeout: Double = 5) {
        self.init(method: "POST", url: url, headers: headers, timeout: timeout, connectTimeout: connectTimeout)
        self.form = form
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header names lowercased; the last value wins.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A request that got no HTTP answer: refused, reset, timed out, DNS, TLS.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var isTimeout: Bool
    /// Some of the request was written before it failed (a timeout or a reset while waiting for the
    /// answer): the server may have acted on it. False when no connection was made.
    public var requestWasSent: Bool

    public init(code: Int, message: String, isTimeout: Bool, requestWasSent: Bool = false) {
        self.code = code
        self.message = message
        self.isTimeout = isTimeout
        self.requestWasSent = requestWasSent
    }

    public var description: String { "transport error \(code): \(message)" }
}
