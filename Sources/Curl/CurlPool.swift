import Dispatch
import Foundation

/// Runs blocking libcurl requests off Swift's cooperative threads, reusing idle connections.
///
/// Each request gets a serial queue of its own: on Linux a concurrent queue runs on the same width-limited
/// threads as Swift's tasks, so requests waiting on a server that needs those tasks (an in-process listener
/// or sandbox, a daemon's own services) held every thread until curl timed out. A serial queue runs on
/// libdispatch's overcommitting threads, which are added as others block.
public final class CurlPool: Sendable {
    private let idle = Mutex<[CurlConnection]>([])

    public init() {}

    public func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let result: Result<HTTPResponse, TransportError> = await withCheckedContinuation { continuation in
            DispatchQueue(label: "wabulk.curl.request").async {
                let connection = self.idle.withLock { $0.popLast() } ?? CurlConnection()
                let outcome: Result<HTTPResponse, TransportError>
                do throws(TransportError) { outcome = .success(try connection.perform(request)) } catch { outcome = .failure(error) }
                self.idle.withLock { $0.append(connection) }
                continuation.resume(returning: outcome)
            }
        }
        return try result.get()
    }
}

/// A lock around a value; `Synchronization.Mutex` needs macOS 15, this works everywhere we build.
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
