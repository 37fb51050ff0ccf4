import Dispatch
import Foundation
import NIOCore
import NIOHTTP1

/// One connection's requests, answered on its event loop: the health check, the metrics, Meta's GET
/// handshake and its POSTs. A POST's body is gathered (up to the limit, else 413 and the connection is
/// closed) and handed to the intake, whose answer comes back to this loop once the events are durable.
/// The pipeline's `HTTPServerPipelineHandler` holds a pipelined request until the one before is answered.
final class WebhookHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    struct Routes: Sendable {
        var path: String
        var maxBodyBytes: Int
        var intake: WebhookIntake
        /// Meta's GET handshake: the challenge to echo for these query parameters, nil to refuse (403).
        var handshake: @Sendable (_ query: [String: String]) -> String?
        var metrics: (@Sendable () -> [UInt8])?
    }

    private let routes: Routes
    private var head: HTTPRequestHead?
    private var body: ByteBuffer
    /// Answered before its end (too large): the rest of the request is not read.
    private var refused = false

    init(routes: Routes) {
        self.routes = routes
        body = ByteBuffer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
            refused = false
            body.clear()
            if let length = request.headers.first(name: "content-length").flatMap(Int.init), length > routes.maxBodyBytes {
                refuseTooLarge(context)
            }
        case .body(let chunk):
            guard !refused else { return }
            if body.readableBytes + chunk.readableBytes > routes.maxBodyBytes {
                refuseTooLarge(context)
            } else {
                var chunk = chunk
                body.writeBuffer(&chunk)
            }
        case .end:
            guard !refused, let request = head else { return }
            route(request, context: context)
        }
    }

    private func refuseTooLarge(_ context: ChannelHandlerContext) {
        refused = true
        body.clear()
        routes.intake.countTooLarge()
        respond(context, .payloadTooLarge, close: true)
    }

    private func route(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, query) = Self.split(request.uri)
        switch (request.method, path) {
        case (.POST, routes.path):
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            body.clear()
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            routes.intake.receive(bytes, signature: request.headers.first(name: WebhookSignature.headerName)) { answer in
                let status: HTTPResponseStatus =
                    switch answer {
                    case .stored: .ok
                    case .badSignature: .unauthorized
                    case .malformed: .badRequest
                    case .storeFailed: .internalServerError
                    }
                if loop.inEventLoop {
                    bound.value.0.respond(bound.value.1, status)
                } else {
                    loop.execute { bound.value.0.respond(bound.value.1, status) }
                }
            }
        case (.GET, routes.path):
            if let challenge = routes.handshake(Self.parameters(query)) {
                respond(context, .ok, text: challenge, contentType: "text/plain")
            } else {
                respond(context, .forbidden)
            }
        case (.GET, "/healthz"):
            respond(context, .ok, text: "ok\n", contentType: "text/plain; charset=utf-8")
        case (.GET, "/metrics"):
            guard let metrics = routes.metrics else { return respond(context, .notFound) }
            // The scrape reads the spool: done off the event loop, and on a serial queue (libdispatch's
            // overcommitting threads), not the concurrent ones Swift's tasks share.
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            DispatchQueue(label: "wabulk.metrics-scrape").async {
                let text = metrics()
                loop.execute { bound.value.0.respond(bound.value.1, .ok, bytes: text, contentType: "text/plain; version=0.0.4") }
            }
        case (_, routes.path), (_, "/healthz"):
            respond(context, .methodNotAllowed)
        default:
            respond(context, .notFound)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, text: String, contentType: String) {
        respond(context, status, bytes: Array(text.utf8), contentType: contentType)
    }

    private func respond(
        _ context: ChannelHandlerContext,
        _ status: HTTPResponseStatus,
        bytes: [UInt8] = [],
        contentType: String? = nil,
        close: Bool = false
    ) {
        let version = head?.version ?? .http1_1
        let keepAlive = !close && (head?.isKeepAlive ?? false)
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: String(bytes.count))
        if let contentType { headers.add(name: "content-type", value: contentType) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if !bytes.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }

    static func split(_ uri: String) -> (path: String, query: Substring) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), uri[uri.index(after: mark)...])
    }

    /// `a=1&b=2`, percent-decoded (`+` is a space, as forms send it); a repeated name keeps its first value.
    static func parameters(_ query: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), out[name] == nil else { continue }
            out[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return out
    }
}
