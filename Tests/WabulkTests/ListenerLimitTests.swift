import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The listener's deadlines and connection cap against the real daemon, with a client that writes raw
/// bytes over loopback as slowly as an attacker would. Each test runs its client on a thread of its own.
@Suite struct ListenerLimitTests {
    /// A blocking TCP client on loopback.
    final class SlowClient: @unchecked Sendable {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(fd)
                throw POSIXError(.ECONNREFUSED)
            }
        }

        deinit { close(fd) }

        /// False once the peer has closed (the write fails, or a read sees the end).
        @discardableResult func send(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
        }

        /// Waits up to `seconds` for the server to close the connection; what it sent before is returned.
        func waitForClose(seconds: Double) -> (closed: Bool, received: String) {
            var received: [UInt8] = []
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ms = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
                guard poll(&p, 1, ms) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return (true, String(decoding: received, as: UTF8.self)) }
                received += buffer.prefix(n)
            }
            return (false, String(decoding: received, as: UTF8.self))
        }
    }

    func daemon(_ settings: [String: String]) throws -> (TempDir, WabulkProcess, Int) {
        let dir = TempDir()
        let port = freePort()
        let env = daemonEnvironment(
            home: dir.url.appendingPathComponent("home"),
            sandboxPort: 9,
            listenPort: port,
            secret: "limit-secret",
            token: "limit-token",
            settings: settings
        )
        let daemon = WabulkProcess(env: env, log: dir.url.appendingPathComponent("daemon.log"))
        try daemon.start()
        return (dir, daemon, port)
    }

    func waitForListener(_ port: Int) async throws {
        #expect(try await eventually(timeout: 30) { (try? SlowClient(port: port)) != nil })
    }

    /// A client writing its request line a byte every 9 seconds (just inside the idle timeout) is cut off
    /// by the 10-second header deadline after its second byte.
    @Test func aClientSendingAByteEveryNineSecondsIsCutOffByTheHeaderDeadline() async throws {
        let (_, daemon, port) = try daemon([:])
        defer { daemon.stop() }
        try await waitForListener(port)
        let (sent, elapsed, closed) = try await onOwnThread { () -> (Int, Double, Bool) in
            let client = try SlowClient(port: port)
            let start = Date()
            var sent = 0
            for byte in "POST /api/whatsapp/webhook HTTP/1.1\r\n" {
                guard client.send(String(byte)) else { break }
                sent += 1
                if client.waitForClose(seconds: 9).closed { return (sent, Date().timeIntervalSince(start), true) }
            }
            return (sent, Date().timeIntervalSince(start), false)
        }
        #expect(closed)
        #expect(sent == 2)
        #expect(elapsed >= 9.5 && elapsed < 13, "closed after \(elapsed) s")
    }

    /// Headers in time, then a body a byte every 9 seconds: each byte resets the idle timeout, so only the
    /// body deadline (12 s here) ends it.
    @Test func aBodyTrickledInIsCutOffByTheBodyDeadline() async throws {
        let (_, daemon, port) = try daemon(["WABULK_LISTENER_BODY_SECONDS": "12"])
        defer { daemon.stop() }
        try await waitForListener(port)
        let (sent, elapsed, closed) = try await onOwnThread { () -> (Int, Double, Bool) in
            let client = try SlowClient(port: port)
            #expect(client.send("POST /api/whatsapp/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"))
            let start = Date()
            var sent = 0
            for _ in 0..<5 {
                guard client.send("{") else { break }
                sent += 1
                if client.waitForClose(seconds: 9).closed { return (sent, Date().timeIntervalSince(start), true) }
            }
            return (sent, Date().timeIntervalSince(start), false)
        }
        #expect(closed)
        #expect(sent == 2)
        #expect(elapsed >= 11.5 && elapsed < 16, "closed after \(elapsed) s")
    }

    /// With a cap of two, two silent connections hold the listener until the header deadline (3 s here)
    /// frees them; a third client is answered only then, and is answered.
    @Test func theConnectionCapMakesAThirdClientWaitForAFreeSlot() async throws {
        let (_, daemon, port) = try daemon(["WABULK_LISTENER_MAX_CONNECTIONS": "2", "WABULK_LISTENER_HEADER_SECONDS": "3"])
        defer { daemon.stop() }
        try await waitForListener(port)
        try await Task.sleep(for: .seconds(0.5))  // the probes' connections are closed
        let (elapsed, answer) = try await onOwnThread { () -> (Double, String) in
            let silent = [try SlowClient(port: port), try SlowClient(port: port)]
            usleep(300_000)
            let start = Date()
            let third = try SlowClient(port: port)
            _ = third.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let (_, received) = third.waitForClose(seconds: 10)
            withExtendedLifetime(silent) {}
            return (Date().timeIntervalSince(start), received)
        }
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        #expect(elapsed >= 2.4 && elapsed < 6, "answered after \(elapsed) s")
    }
}
