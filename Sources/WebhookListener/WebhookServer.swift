import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The listener's HTTP server, a `Service` for the daemon's service group: SwiftNIO's HTTP/1.1 codec and
/// one handler per connection that answers on the connection's event loop. (Hummingbird served it before;
/// its handlers run as tasks, and the hop to the task and back cost a third of the listener's time under
/// Meta's traffic.) On a graceful shutdown it stops accepting, answers the requests in flight, then ends.
struct WebhookServer: Service {
    let options: WebhookListener.Options
    let routes: WebhookHTTPHandler.Routes
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let quiescing = ServerQuiescingHelper(group: group)
        let maxConnections = options.maxConnections
        let header = Self.amount(options.headerTimeout)
        let body = Self.amount(options.bodyTimeout)
        let idle = Self.amount(options.readTimeout)
        let routes = routes
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    // More connections wait in the kernel's accept queue until one closes.
                    try channel.pipeline.syncOperations.addHandler(AvailableConnectionsChannelHandler(maxConnections: maxConnections))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try pipeline.addHandler(RequestDeadlineHandler(header: header, body: body))
                    try pipeline.addHandler(WebhookHTTPHandler(routes: routes))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .bind(host: options.host, port: options.port)
            .get()
        await onRunning(channel.localAddress?.port ?? options.port)
        let finished = channel.eventLoop.makePromise(of: Void.self)
        let started = NIOLockedValueBox(false)
        @Sendable func shutDown() {
            guard
                started.withLockedValue({ was in
                    defer { was = true }
                    return !was
                })
            else { return }
            quiescing.initiateShutdown(promise: finished)
        }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await finished.futureResult.get()
            } onGracefulShutdown: {
                shutDown()
            }
        } onCancel: {
            shutDown()
        }
    }

    static func amount(_ d: Duration) -> TimeAmount {
        .milliseconds(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }
}
