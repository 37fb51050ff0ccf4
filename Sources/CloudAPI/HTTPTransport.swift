import Curl

/// The seam between the Cloud API client and the network: libcurl in production and tests alike
/// (tests point the base URL at the sandbox on loopback instead of replacing the transport).
public protocol HTTPTransport: Sendable {
    func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}

extension CurlPool: HTTPTransport {}
