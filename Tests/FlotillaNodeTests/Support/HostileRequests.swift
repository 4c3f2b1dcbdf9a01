import BinaryCoding
import FlotillaAPI
import Foundation
import Hummingbird
import NIOCore

/// An endless seeded stream of requests meant to break the admin API (see `AdminRouterFuzzTests`).
struct HostileRequests {
    struct Request {
        var method: HTTPRequest.Method
        var uri: String
        var headers: HTTPFields
        var body: ByteBuffer?
    }

    /// What a route's body holds, to pick seeds from.
    enum BodyKind { case none, submission, join, bootstrap, transfer, faults, report }

    var rng: SplitMix64
    /// The node's current status tag, for the occasional conditional GET that matches.
    let tag: () -> String

    static let routes: [(HTTPRequest.Method, String, BodyKind)] = [
        (.get, "/v1/status", .none), (.get, "/v1/members", .none), (.post, "/v1/members", .join),
        (.post, "/v1/members/{id}/approve", .none), (.post, "/v1/members/{id}/deny", .none),
        (.post, "/v1/members/{id}/promote", .none), (.delete, "/v1/members/{id}", .none),
        (.post, "/v1/bootstrap", .bootstrap), (.post, "/v1/leader", .transfer),
        (.get, "/v1/tasks", .none), (.post, "/v1/tasks", .submission), (.get, "/v1/tasks/{id}", .none),
        (.post, "/v1/tasks/{id}/cancel", .none), (.post, "/v1/tasks/{id}/report", .report),
        (.get, "/v1/faults", .none), (.put, "/v1/faults", .faults), (.delete, "/v1/faults", .none),
        (.get, "/v1/log/hash", .none), (.get, "/v1/events/recent", .none), (.get, "/v1/health", .none), (.get, "/metrics", .none),
    ]

    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options, .trace, .connect,
                                                 HTTPRequest.Method("BREW")!, HTTPRequest.Method("get")!]

    /// Path parameters. Member ids never name a learner a join may add, so no unreachable voter is promoted.
    static let ids = ["t-1", "t-2", "t-3", "n1", "n2", "t-999999", "", "..", "%2e%2e", "%2F", "t-1%00", "ü", "🚀", "%F0%9F%9A%80",
                      "%ZZ", "%", "a b", "t-1;x", "t-1#frag", "t-\u{0}", String(repeating: "x", count: 5000), String(repeating: "%41", count: 700)]

    static let unknownPaths = ["/", "", "*", "v1/status", "/v1", "/v1/", "/v2/status", "/v1/status/x", "/v1/tasks/t-1/cancel/x",
                               "/metrics/x", "//v1//status//", "/V1/STATUS", "/v1/statu", "/v1/%73tatus", "/v1/tasks/t-1/report/",
                               "http://evil/v1/status", "/v1/members/n1/promote/now", "/" + String(repeating: "a/", count: 2000),
                               "/v1/events/recent/x", "/v1/log", "/v1/log/hash/1", "/.well-known/x", "/v1/\u{FEFF}status"]

    static let queryNames = ["limit", "state", "node", "index", "wait", "pace", "x", ""]
    static let queryValues = ["", "0", "1", "-1", "3", "1000", "10000", "10001", "99999999999999999999", "abc", "%ZZ", "%00", "🚀",
                              "%F0%9F%9A%80", "1e3", " 5", "5 ", "0x10", "+1", String(repeating: "9", count: 500), "running", "timed-out",
                              "queued%20", "n1", "18446744073709551615", "18446744073709551616"]
    /// `wait` and `pace` next to If-None-Match: refused, or held a few milliseconds at most.
    static let shortHolds = ["", "0", "1", "2", "-1", "abc", "10001", "99999999999999999999", "%ZZ", "1.5"]

    static let contentTypes = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json;;;",
                               " application/json ", "text/plain", "application/x-www-form-urlencoded", "", "application/json+x",
                               "multipart/form-data; boundary=x", "application/jsonp", "*/*", "\u{0}\u{7F}json"]
    static let lengths = ["0", "3", "1048576", "1048577", "-1", "abc", "99999999999999999999999", ""]

    static let seeds: [BodyKind: [String]] = [
        .submission: [#"{"kind":"echo","args":{"text":"hi"},"key":"k-1","maxAttempts":3,"timeoutMs":5000}"#,
                      #"{"kind":"sleep","args":{"ms":"1"},"key":"k-2","target":"n1"}"#, #"{"kind":"shell","args":{"command":"true"}}"#,
                      #"{"kind":"hash","args":{"rounds":"1"},"key":"k-3","target":"n9"}"#],
        .join: [#"{"id":"learner-1","raftAddress":"127.0.0.1:1","adminAddress":"127.0.0.1:1","slots":0}"#],
        .bootstrap: [#"{"members":[{"id":"n1","raftAddress":"127.0.0.1:1","adminAddress":"127.0.0.1:1","voter":true}]}"#],
        .transfer: [#"{"to":"n2"}"#, "{}", #"{"to":"n1"}"#],
        .faults: [#"{"drop":["n2","n3"],"direction":"out","delayMs":20,"loss":0.5}"#, #"{"drop":[],"direction":"both","delayMs":0,"loss":0}"#],
        .report: [#"{"node":"n1","epoch":1,"outcome":"succeeded","result":"ok"}"#, #"{"node":"n1","epoch":0,"outcome":"started"}"#],
    ]

    static let keys = ["kind", "args", "key", "target", "maxAttempts", "timeoutMs", "id", "raftAddress", "adminAddress", "slots",
                       "members", "voter", "to", "drop", "direction", "delayMs", "loss", "node", "epoch", "outcome", "result", "error"]
    static let numbers = ["0", "-1", "1", "-0", "1e400", "1.5", "9223372036854775808", "18446744073709551616", "NaN", "65536",
                          "99999999999999999999", "999999999999999999", "-9999999999999999999"]
    static let strings = ["", "n1", "echo", "sleep", "both", "sideways", "started", "127.0.0.1:1", "a b=c:1", "\\u0000", "\\ud800", "é", "🚀",
                          String(repeating: "x", count: 300)]
    static let junk = ["{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "null", "1e999", "-", " ", "\n", "\u{0}", "{\"kind\":", "]]]]"]

    mutating func next() -> Request {
        var headers = HTTPFields()
        let conditional = rng.chance(0.1)
        var (method, uri, kind) = target()
        uri += query(short: conditional)
        if conditional {
            headers[.ifNoneMatch] = rng.chance(0.2) && uri.hasPrefix("/v1/status") ? tag() : rng.pick(["\"abc\"", "*", "", "W/\"1-2\"", "\"\u{1}\""])
        }
        switch rng.below(20) {
        case 0..<9: headers[.authorization] = "Bearer \(InProcessNode.token)"
        case 9..<14: break
        case 14..<18: headers[.authorization] = "Bearer wrong"
        case 18: headers[.authorization] = "bearer \(InProcessNode.token)"
        default: headers[.authorization] = "Bearer " + String(repeating: "t", count: rng.below(9000))
        }
        if rng.chance(0.6) { headers[.contentType] = rng.chance(0.6) ? "application/json" : rng.pick(Self.contentTypes) }
        if kind == .none, rng.chance(0.9) { kind = rng.chance(0.3) ? rng.pick(Array(Self.seeds.keys)) : .none }
        let body = self.body(kind)
        if body == nil, rng.chance(0.1) { headers[.contentLength] = rng.pick(Self.lengths) }
        if rng.chance(0.05) { headers[.init("X-Junk")!] = String(decoding: (0..<rng.below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, as: UTF8.self) }
        // The event stream never ends; its bounded sibling stands in.
        if method == .get, uri.prefix { $0 != "?" }.split(separator: "/") == ["v1", "events"] { uri = "/v1/events/recent" }
        return Request(method: method, uri: uri, headers: headers, body: body)
    }

    mutating func target() -> (HTTPRequest.Method, String, BodyKind) {
        if rng.chance(0.15) { return (rng.pick(Self.methods), rng.pick(Self.unknownPaths), .none) }
        let (method, template, kind) = rng.pick(Self.routes)
        var path = template
        while let range = path.range(of: "{id}") { path.replaceSubrange(range, with: rng.pick(Self.ids)) }
        return (rng.chance(0.8) ? method : rng.pick(Self.methods), path, kind)
    }

    mutating func query(short: Bool) -> String {
        switch rng.below(10) {
        case 0..<5: return ""
        case 5: return rng.pick(["?", "?&&=", "?=x", "?wait", "?limit=1&limit=x", "?%ZZ=1", "?" + String(repeating: "a=1&", count: 500)])
        default:
            let pairs = (0..<(1 + rng.below(3))).map { _ -> String in
                let name = rng.pick(Self.queryNames)
                let value = short && (name == "wait" || name == "pace") ? rng.pick(Self.shortHolds) : rng.pick(Self.queryValues)
                return "\(name)=\(value)"
            }
            return "?" + pairs.joined(separator: "&")
        }
    }

    mutating func body(_ kind: BodyKind) -> ByteBuffer? {
        let seed = Self.seeds[kind].map { rng.pick($0) } ?? "{}"
        var bytes: [UInt8]
        switch rng.below(100) {
        case 0..<10: return nil
        case 10..<15: bytes = []
        case 15: return rng.chance(0.3) ? ByteBuffer(repeating: 0x20, count: (1 << 20) + 1 + rng.below(4096)) : nil
        case 16..<21: bytes = Array(seed.utf8.prefix(rng.below(seed.utf8.count)))
        case 21..<28: bytes = (0..<rng.below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        case 28..<40: bytes = Array(object(depth: 0).utf8)
        case 40..<45:
            let depth = 1 + rng.below(3000)
            bytes = Array((rng.chance(0.5) ? String(repeating: "[", count: depth) + "1" : String(repeating: "{\"a\":", count: depth) + "1").utf8)
        case 45..<50: bytes = Array(seed.utf8)
        default:
            bytes = Array(seed.utf8)
            for _ in 0..<(1 + rng.below(3)) { mutate(&bytes) }
        }
        return ByteBuffer(bytes: bytes)
    }

    mutating func value(depth: Int) -> String {
        switch depth > 3 ? rng.below(4) : rng.below(7) {
        case 0: return rng.pick(Self.numbers)
        case 1: return "\"\(rng.pick(Self.strings))\""
        case 2: return rng.pick(["true", "false", "null"])
        case 3: return "\"\(rng.pick(Self.keys))\""
        case 4: return "[" + (0..<rng.below(4)).map { _ in value(depth: depth + 1) }.joined(separator: ",") + "]"
        default: return object(depth: depth + 1)
        }
    }

    mutating func object(depth: Int) -> String {
        let fields = (0..<rng.below(7)).map { _ in "\"\(rng.chance(0.85) ? rng.pick(Self.keys) : rng.pick(Self.strings))\":\(value(depth: depth))" }
        return "{" + fields.joined(separator: ",") + "}"
    }

    mutating func mutate(_ b: inout [UInt8]) {
        switch rng.below(7) {
        case 5:
            // A number of the body becomes another, so a still well-formed body carries extremes.
            let digits = b.indices.filter { b[$0] >= UInt8(ascii: "0") && b[$0] <= UInt8(ascii: "9") }
            guard let at = digits.isEmpty ? nil : digits[rng.below(digits.count)] else { return }
            var start = at, end = at
            while start > 0, b[start - 1] >= UInt8(ascii: "0"), b[start - 1] <= UInt8(ascii: "9") { start -= 1 }
            while end < b.count, b[end] >= UInt8(ascii: "0"), b[end] <= UInt8(ascii: "9") { end += 1 }
            b.replaceSubrange(start..<end, with: Array(rng.pick(Self.numbers).utf8))
        case 0 where !b.isEmpty: b[rng.below(b.count)] ^= UInt8(1 << rng.below(8))
        case 1 where !b.isEmpty: b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 2: b.insert(contentsOf: Array(rng.pick(Self.junk).utf8), at: rng.below(b.count + 1))
        case 3 where !b.isEmpty:
            let a = rng.below(b.count)
            b.removeSubrange(a..<min(b.count, a + 1 + rng.below(12)))
        case 4 where !b.isEmpty:
            let a = rng.below(b.count)
            b.insert(contentsOf: Array(b[a..<min(b.count, a + 1 + rng.below(30))]), at: rng.below(b.count + 1))
        default: b = Array(b.prefix(rng.below(b.count + 1)))
        }
    }
}
