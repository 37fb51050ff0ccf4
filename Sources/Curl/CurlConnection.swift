import CCurl
import Foundation

/// The one place libcurl's easy API is called. A connection owns one easy handle, so curl keeps the
/// TCP/TLS connection alive between requests (and negotiates HTTP/2 where offered). Not thread-safe:
/// `CurlPool` hands each connection to one caller at a time.
public final class CurlConnection {
    let handle: UnsafeMutableRawPointer

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() {
        _ = Self.globalInit
        handle = curl_easy_init()
    }

    deinit { curl_easy_cleanup(handle) }

    public func perform(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        curl_easy_reset(handle)
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in request.headers { list = curl_slist_append(list, "\(header.name): \(header.value)") }
        // An empty Expect stops curl waiting a second for "100 Continue" on larger bodies.
        list = curl_slist_append(list, "Expect:")
        defer { curl_slist_free_all(list) }

        let sink = ResponseSink()
        _ = ccurl_setopt_str(handle, CURLOPT_URL, request.url)
        _ = ccurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        _ = ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        _ = ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        if let body = request.body {
            _ = ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            // COPYPOSTFIELDS: curl keeps its own copy, so the Swift buffer may go away after this call.
            _ = body.withUnsafeBufferPointer { ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
        }
        var mime: OpaquePointer? = nil
        defer { if let mime { curl_mime_free(mime) } }
        if let form = request.form {
            mime = curl_mime_init(handle)
            for part in form {
                let field = curl_mime_addpart(mime)
                switch part {
                case .text(let name, let value):
                    curl_mime_name(field, name)
                    curl_mime_data(field, value, Int(CURL_ZERO_TERMINATED))
                case .file(let name, let path, let filename, let contentType):
                    curl_mime_name(field, name)
                    curl_mime_filedata(field, path)
                    curl_mime_filename(field, filename)
                    curl_mime_type(field, contentType)
                }
            }
            _ = ccurl_setopt_ptr(handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime))
        }
        if request.method != "GET" && !(request.method == "POST" && (request.body != nil || request.form != nil)) {
            _ = ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        _ = ccurl_setopt_writefunction(handle) { ptr, size, count, context in
            let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
            if let ptr { sink.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: size * count)) }
            return size * count
        }
        _ = ccurl_setopt_ptr(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
        _ = ccurl_setopt_headerfunction(handle) { ptr, size, count, context in
            let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
            if let ptr {
                let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: size * count), as: UTF8.self)
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    sink.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            return size * count
        }
        _ = ccurl_setopt_ptr(handle, CURLOPT_HEADERDATA, Unmanaged.passUnretained(sink).toOpaque())

        let code = withExtendedLifetime(sink) { curl_easy_perform(handle) }
        guard code == CURLE_OK else {
            // Bytes of the request already written mean the server may have it: its answer, not the
            // request, is what went missing.
            var requestBytes = 0
            _ = ccurl_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &requestBytes)
            let neverConnected = [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT].contains(code)
            throw TransportError(
                code: Int(code.rawValue),
                message: String(cString: curl_easy_strerror(code)),
                isTimeout: code == CURLE_OPERATION_TIMEDOUT,
                requestWasSent: requestBytes > 0 && !neverConnected
            )
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
}
