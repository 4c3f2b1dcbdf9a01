import AsyncHTTPClient
import FlotillaAPI
import Foundation
import NIOCore
import NIOHTTP1

/// A client of the nodes' admin API. Follows a follower's 307 to the leader; turns every
/// error reply into the node's `APIError`, and a silent node into a clear one.
public final class AdminClient: Sendable {
    let http: HTTPClient
    let token: String?

    public init(token: String?) {
        self.token = token
        // Redirects are followed here, not by the HTTP client, which would drop the token on a new port.
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow)
        config.timeout = .init(connect: .seconds(1), read: .seconds(10))
        // A refused connection means the node is down: say so at once instead of retrying until the timeout.
        config.connectionPool.retryConnectionEstablishment = false
        // The load generator and benchmarks keep many requests in flight to one leader.
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async { try? await http.shutdown() }

    public func status(_ address: String, timeout: Duration = .seconds(1)) async throws -> NodeStatus {
        try await call("GET", address, "/v1/status", timeout: timeout)
    }

    /// One request; `body` is sent as JSON.
    public func call<R: Decodable>(_ method: String, _ address: String, _ path: String, body: (any Encodable)? = nil,
                                   timeout: Duration = .seconds(10)) async throws -> R {
        var target = address
        for _ in 0..<3 {
            do {
                return try await once(method, target, path, body: body, timeout: timeout)
            } catch let redirect as Redirect {
                target = redirect.address
            }
        }
        throw APIError("too many redirects starting at \(address)", code: APIErrorCode.unavailable)
    }

    /// A 307 from a follower: the leader's admin address.
    struct Redirect: Error { var address: String }

    func once<R: Decodable>(_ method: String, _ address: String, _ path: String, body: (any Encodable)?,
                            timeout: Duration) async throws -> R {
        let (response, data) = try await send(method, address, path, body: body, timeout: timeout)
        if response.status.code == 307, let location = response.headers.first(name: "Location"),
           let url = URL(string: location), let host = url.host, let port = url.port {
            throw Redirect(address: "\(host):\(port)")
        }
        return try decode(response, data, from: address)
    }

    /// What a conditional status request found.
    public enum StatusAnswer: Sendable {
        /// The status, and the tag that names it (to send back next time).
        case changed(NodeStatus, tag: String?)
        /// Still the status `tag` named.
        case unchanged
    }

    /// Watches a node's status: answers when it differs from the one `tag` names, else when it
    /// changes or `wait` passes (then `.unchanged`); never sooner than `pace`, so a busy node
    /// answers at most once per pace. An idle node costs one small answer per `wait` instead
    /// of a full status per poll. `timeout` bounds the whole call.
    public func status(_ address: String, changedFrom tag: String?, wait: Duration, pace: Duration = .zero,
                       timeout: Duration) async throws -> StatusAnswer {
        var headers = HTTPHeaders()
        if let tag { headers.add(name: "If-None-Match", value: tag) }
        let (response, data) = try await send("GET", address, "/v1/status?wait=\(wait.milliseconds)&pace=\(pace.milliseconds)",
                                              headers: headers, timeout: timeout)
        if response.status == .notModified { return .unchanged }
        let status: NodeStatus = try decode(response, data, from: address)
        return .changed(status, tag: response.headers.first(name: "ETag"))
    }

    /// The largest answer read.
    static let maxAnswer = 16 << 20

    /// Sends one request and collects the whole answer; a node that does not answer is an `APIError`.
    func send(_ method: String, _ address: String, _ path: String, body: (any Encodable)? = nil, headers: HTTPHeaders = [:],
              timeout: Duration) async throws -> (HTTPClientResponse, Data) {
        var request = HTTPClientRequest(url: "http://\(address)\(path)")
        request.method = HTTPMethod(rawValue: method)
        request.headers = headers
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
        } catch {
            throw APIError("\(address) does not answer (\(error))", code: APIErrorCode.unavailable)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: Self.maxAnswer)
        } catch is NIOTooManyBytesError {
            throw APIError("\(address) answered \(path) with more than \(Self.maxAnswer >> 20) MB; ask for less (tasks are read a page at a time)",
                           code: APIErrorCode.tooLarge)
        }
        return (response, Data(buffer.readableBytesView))
    }

    /// A 2xx answer's JSON as `R`; any other answer as the node's `APIError`.
    func decode<R: Decodable>(_ response: HTTPClientResponse, _ data: Data, from address: String) throws -> R {
        guard (200..<300).contains(Int(response.status.code)) else {
            // A refused token is not a node that is down: say what to do about it.
            if response.status.code == 401 {
                throw APIError("unauthorized: set FLOTILLA_TOKEN (\(address) refused \(token == nil ? "a request with no token" : "the token"))",
                               code: APIErrorCode.unauthorized)
            }
            if let e = try? JSONDecoder().decode(APIError.self, from: data) { throw e }
            throw APIError("\(address) answered \(response.status.code)", code: APIErrorCode.internal)
        }
        do {
            return try JSONDecoder().decode(R.self, from: data)
        } catch {
            throw APIError("\(address) sent an answer that does not decode: \(error)", code: APIErrorCode.internal)
        }
    }
}
