import NIOCore
import NIOHTTP1

/// Closes a connection whose request headers do not arrive within `header`, or whose body does not end
/// within `body` of its headers, or that sends nothing at all for `idle` (the `IdleStateHandler` before it
/// tells). An idle timeout alone restarts with every byte, so a client sending a byte every few seconds
/// (slow loris) would otherwise hold a connection, and one of the capped slots, forever. The header clock
/// starts when the connection opens and again when a response has been sent.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let header: TimeAmount
    private let body: TimeAmount
    /// When the running clock runs out (distant future: none runs, the handler has the request).
    private var deadline = NIODeadline.distantFuture
    /// One timer at a time, moved only when a deadline comes sooner than it: a clock restarted on every
    /// request would schedule and cancel a task twice per request, which showed under load.
    private var timer: Scheduled<Void>?
    private var timerAt = NIODeadline.distantFuture
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
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            arm(body, context: context)
        case .body: break
        case .end:
            // The request is whole; what follows is the handler's time, not the client's.
            deadline = .distantFuture
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read, unanswered == 0 {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 { arm(header, context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ limit: TimeAmount, context: ChannelHandlerContext) {
        deadline = .now() + limit
        if timer == nil || timerAt > deadline { schedule(at: deadline, context: context) }
    }

    private func schedule(at time: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timerAt = time
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: time) { bound.value.0.fire(context: bound.value.1) }
    }

    private func fire(context: ChannelHandlerContext) {
        timer = nil
        timerAt = .distantFuture
        guard deadline != .distantFuture else { return }
        if .now() >= deadline {
            context.close(promise: nil)
        } else {
            schedule(at: deadline, context: context)
        }
    }
}
