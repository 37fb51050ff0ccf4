import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request headers do not arrive within `header`, or whose body does not end
/// within `body` of its headers. Hummingbird's idle timeout restarts with every byte, so a client sending
/// a byte every few seconds (slow loris) would otherwise hold a connection, and one of the capped slots,
/// forever. The header clock starts when the connection opens and again when a response has been sent.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let header: TimeAmount
    private let body: TimeAmount
    private var pending: Scheduled<Void>?
    /// Requests whose headers came in and whose response has not ended: a pipelined request read before the
    /// previous answer went out must not get the header clock when that answer ends.
    private var unanswered = 0

    init(header: TimeAmount, body: TimeAmount) {
        self.header = header
        self.body = body
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(header, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pending?.cancel()
        pending = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            arm(body, context: context)
        case .body: break
        case .end:
            // The request is whole; what follows is the handler's time, not the client's.
            pending?.cancel()
            pending = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 { arm(header, context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ limit: TimeAmount, context: ChannelHandlerContext) {
        pending?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        pending = context.eventLoop.scheduleTask(in: limit) {
            loopBound.value.close(promise: nil)
        }
    }
}
