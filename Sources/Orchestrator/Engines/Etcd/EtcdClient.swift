import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client of etcd's v3 JSON gateway (etcd 3.4: `/v3/...`, keys and values in base64) and of
/// its `/metrics`, over plain HTTP on the members' client addresses.
public final class EtcdClient: Sendable {
    let http: HTTPClient

    public init() {
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow)
        config.timeout = .init(connect: .seconds(1), read: .seconds(10))
        // A refused connection means the member is down: say so at once.
        config.connectionPool.retryConnectionEstablishment = false
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async { try? await http.shutdown() }

    // MARK: Status

    public func status(_ address: String, timeout: Duration = .seconds(1)) async throws -> EtcdMemberStatus {
        try await call(address, "/v3/maintenance/status", [String: String](), timeout: timeout)
    }

    /// The member's Raft node's own state from `GET /debug/vars`; nil when the member does not
    /// serve it (404) or serves it without `raft.status`.
    public func raftState(_ address: String, timeout: Duration = .seconds(1)) async throws -> EtcdRaftState? {
        let data: Data
        do {
            data = try await send("GET", address, "/debug/vars", body: nil, timeout: timeout)
        } catch let e as EtcdError where e.status == 404 {
            return nil
        }
        do {
            return try JSONDecoder().decode(EtcdDebugVars.self, from: data).raft
        } catch {
            throw EtcdError(address: address, status: 200, message: "a /debug/vars that does not decode: \(error)")
        }
    }

    public func metrics(_ address: String, timeout: Duration = .seconds(1)) async throws -> EtcdMetrics {
        let data = try await send("GET", address, "/metrics", body: nil, timeout: timeout)
        return EtcdMetrics.parse(Substring(decoding: data, as: UTF8.self))
    }

    // MARK: Membership

    private struct MemberList: Decodable {
        var members: [EtcdMember]?
    }

    private struct MemberAdded: Decodable {
        var member: EtcdMember
    }

    private struct AddRequest: Encodable {
        var peerURLs: [String]
        var isLearner: Bool
    }

    private struct MemberRequest: Encodable {
        var ID: String
    }

    public func members(_ address: String, timeout: Duration = .seconds(2)) async throws -> [EtcdMember] {
        let list: MemberList = try await call(address, "/v3/cluster/member/list", [String: String](), timeout: timeout)
        return list.members ?? []
    }

    /// Adds a member that has not started yet, as a learner (no vote until promoted) unless `learner` is false.
    public func addMember(_ address: String, peerURL: String, learner: Bool = true) async throws -> EtcdMember {
        let added: MemberAdded = try await call(address, "/v3/cluster/member/add", AddRequest(peerURLs: [peerURL], isLearner: learner),
                                                timeout: .seconds(5))
        return added.member
    }

    /// Makes a learner a voter; etcd refuses (412) until the learner is in sync with the leader.
    public func promote(_ address: String, _ id: EtcdMemberID) async throws {
        let _: [String: AnyDecodable] = try await call(address, "/v3/cluster/member/promote", MemberRequest(ID: id.decimal), timeout: .seconds(5))
    }

    /// Removes a member; the member itself exits once it learns of it.
    public func removeMember(_ address: String, _ id: EtcdMemberID) async throws {
        let _: [String: AnyDecodable] = try await call(address, "/v3/cluster/member/remove", MemberRequest(ID: id.decimal), timeout: .seconds(5))
    }

    /// Hands leadership to `target`. Must be sent to the leader (elsewhere etcd answers 412 "not leader").
    public func transferLeadership(_ leaderAddress: String, to target: EtcdMemberID) async throws {
        struct Request: Encodable { var targetID: String }
        let _: [String: AnyDecodable] = try await call(leaderAddress, "/v3/maintenance/transfer-leadership", Request(targetID: target.decimal),
                                                        timeout: .seconds(5))
    }

    // MARK: Keys

    private struct PutRequest: Encodable {
        var key: String
        var value: String
        var prev_kv = true
    }

    /// etcd's JSON gateway writes its 64-bit numbers as strings.
    private struct PutReply: Decodable {
        struct Header: Decodable { var revision: String? }
        struct Previous: Decodable { var create_revision: String? }
        var header: Header?
        var prev_kv: Previous?
    }

    private struct RangeRequest: Encodable {
        var key: String
        var serializable: Bool
    }

    private struct RangeReply: Decodable {
        struct KeyValue: Decodable { var value: String? }
        var kvs: [KeyValue]?
    }

    /// Puts `value` at `key`; returns the revision that created the key (this put's, or that of
    /// the put that first wrote it), nil if the answer did not say.
    @discardableResult
    public func put(_ address: String, key: String, value: String, timeout: Duration = .seconds(2)) async throws -> Int? {
        let reply: PutReply = try await call(address, "/v3/kv/put", PutRequest(key: Self.base64(key), value: Self.base64(value)),
                                             timeout: timeout)
        return (reply.prev_kv?.create_revision ?? reply.header?.revision).flatMap { Int($0) }
    }

    /// The value of `key`, nil when absent. Linearizable (the member confirms with the leader
    /// that it is up to date) unless `serializable`, which answers from the member's own copy.
    public func get(_ address: String, key: String, serializable: Bool = false, timeout: Duration = .seconds(2)) async throws -> String? {
        let reply: RangeReply = try await call(address, "/v3/kv/range", RangeRequest(key: Self.base64(key), serializable: serializable),
                                               timeout: timeout)
        guard let kv = reply.kvs?.first else { return nil }
        guard let encoded = kv.value else { return "" }  // an empty value is left out
        guard let bytes = Data(base64Encoded: encoded) else {
            throw EtcdError(address: address, status: 200, message: "a value that is not base64")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private struct PrefixRequest: Encodable {
        var key: String
        var range_end: String
        var limit: String
        var keys_only = true
        var sort_order = "DESCEND"
        var sort_target = "CREATE"
    }

    private struct PrefixReply: Decodable {
        struct Key: Decodable {
            var key: String
            var create_revision: String?
        }
        var kvs: [Key]?
        var more: Bool?
    }

    /// The keys under `prefix`, linearizably, the newest-created first, at most `limit`; `more`
    /// when there are others; `oldest` the create revision of the last one given.
    public func keys(_ address: String, prefix: String, limit: Int,
                     timeout: Duration = .seconds(2)) async throws -> (keys: [String], more: Bool, oldest: Int?) {
        var end = Array(prefix.utf8)
        guard let last = end.indices.last(where: { end[$0] < 0xFF }) else {
            throw EtcdError(address: address, status: nil, message: "a prefix with no end: \(prefix.prefix(40))")
        }
        end = Array(end[...last])
        end[last] += 1
        let reply: PrefixReply = try await call(address, "/v3/kv/range",
                                                PrefixRequest(key: Self.base64(prefix), range_end: Data(end).base64EncodedString(),
                                                              limit: String(limit)), timeout: timeout)
        let keys = try (reply.kvs ?? []).map { kv -> String in
            guard let bytes = Data(base64Encoded: kv.key) else { throw EtcdError(address: address, status: 200, message: "a key that is not base64") }
            return String(decoding: bytes, as: UTF8.self)
        }
        return (keys, reply.more ?? false, reply.kvs?.last?.create_revision.flatMap { Int($0) })
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    // MARK: Plumbing

    /// Decodes any JSON value and keeps nothing: for answers only their success matters.
    struct AnyDecodable: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    private struct ErrorReply: Decodable {
        var error: String?
        var message: String?
    }

    /// POSTs `body` as JSON and decodes a 2xx answer as `R`.
    func call<R: Decodable>(_ address: String, _ path: String, _ body: some Encodable, timeout: Duration) async throws -> R {
        let data = try await send("POST", address, path, body: try JSONEncoder().encode(body), timeout: timeout)
        do {
            return try JSONDecoder().decode(R.self, from: data)
        } catch {
            throw EtcdError(address: address, status: 200, message: "an answer to \(path) that does not decode: \(error)")
        }
    }

    /// The largest answer read (a member's /metrics is about 100 KB).
    static let maxAnswer = 4 << 20

    func send(_ method: String, _ address: String, _ path: String, body: Data?, timeout: Duration) async throws -> Data {
        var request = HTTPClientRequest(url: "http://\(address)\(path)")
        request.method = HTTPMethod(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let data: Data
        let status: Int
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout.milliseconds)))
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: Self.maxAnswer).readableBytesView)
        } catch {
            let text = "\(error)"
            throw EtcdError(address: address, status: nil, message: text, refused: text.localizedCaseInsensitiveContains("refused"))
        }
        guard (200..<300).contains(status) else {
            let reply = try? JSONDecoder().decode(ErrorReply.self, from: data)
            throw EtcdError(address: address, status: status,
                            message: reply?.message ?? reply?.error ?? String(decoding: data.prefix(200), as: UTF8.self))
        }
        return data
    }
}
