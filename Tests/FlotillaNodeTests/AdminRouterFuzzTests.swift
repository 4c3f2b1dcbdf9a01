import BinaryCoding
import FlotillaAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import FlotillaNode

/// Seeded hostile traffic through the router the node serves, to a real single node in this
/// process: methods × paths (real routes, with bad, huge, unicode and percent-encoded
/// parameters; unknown paths; bad query values) × headers (Content-Type variants, lying
/// Content-Length, right, wrong and missing tokens, If-None-Match) × bodies (empty, over
/// 1 MiB, truncated, random bytes, JSON of the wrong shape, mutated valid requests, deep
/// nesting). Every answer must carry an expected status, every error must be the API's JSON,
/// and the node must still serve at the end.
///
/// Left out: `GET /v1/events`, a stream that never ends (the test client waits for a whole
/// body). Long polls are kept short: with If-None-Match, `wait` and `pace` take only values
/// that hold a few milliseconds or are refused.
@Suite("Admin router fuzz")
struct AdminRouterFuzzTests {
    static let requests = 100_000
    static let workers = 4
    static let expected: Set<Int> = [200, 201, 202, 304, 400, 401, 404, 405, 409, 413, 415]

    /// What the workers saw.
    struct Tally: Sendable {
        var count = 0
        var statuses: [Int: Int] = [:]
        var problems: [String] = []

        mutating func merge(_ other: Tally) {
            count += other.count
            statuses.merge(other.statuses, uniquingKeysWith: +)
            problems += other.problems
        }

        var histogram: String { statuses.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",") }
    }

    @Test func oneHundredThousandHostileRequestsAllAnswerAndTheNodeStillServes() async throws {
        try await withNode { node in
            let clock = ContinuousClock()
            let started = clock.now
            let tally = try await node.application().test(.router) { client in
                try await withThrowingTaskGroup(of: Tally.self) { group in
                    for worker in 0..<Self.workers {
                        group.addTask {
                            try await Self.run(seed: 0xF107_111A &+ UInt64(worker) << 40, count: Self.requests / Self.workers, client: client, node: node)
                        }
                    }
                    var total = Tally()
                    for try await part in group { total.merge(part) }
                    return total
                }
            }
            let took = clock.now - started
            print("router fuzz: requests=\(tally.count) statuses=\(tally.histogram) took=\(took)")
            #expect(tally.count == Self.requests)
            #expect(tally.problems.isEmpty, "\(tally.problems.count) bad answers, first: \(tally.problems.prefix(10).joined(separator: "\n"))")
            try await node.application().test(.router) { client in
                let status = try await client.send(.get, "/v1/status")
                #expect(status.status == .ok && (try? status.decode(NodeStatus.self))?.role == .leader)
                let submit = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo","key":"after-the-fuzz"}"#)
                #expect(submit.status == .created, "\(submit.status) \(submit.text)")
            }
        }
    }

    /// One worker: `count` requests from its own seed, each answer checked.
    static func run(seed: UInt64, count: Int, client: some TestClientProtocol, node: InProcessNode) async throws -> Tally {
        var generator = HostileRequests(rng: SplitMix64(seed: seed), tag: { node.api.driver.board.tagged.tag })
        var tally = Tally()
        for _ in 0..<count {
            let request = generator.next()
            let what = "\(request.method) \(request.uri.prefix(120)) [\(request.headers.map { "\($0.name): \($0.value.prefix(40))" }.joined(separator: "; "))] "
                + "body \(request.body?.readableBytes ?? -1) bytes"
            let response: TestResponse
            do {
                response = try await client.execute(uri: request.uri, method: request.method, headers: request.headers, body: request.body)
            } catch {
                tally.problems.append("\(what): the client threw \(error)")
                continue
            }
            tally.count += 1
            let status = Int(response.status.code)
            tally.statuses[status, default: 0] += 1
            if let problem = check(response) { tally.problems.append("\(what): \(problem)") }
        }
        return tally
    }

    /// Why an answer is wrong, or nil.
    static func check(_ r: TestResponse) -> String? {
        let status = Int(r.status.code)
        guard expected.contains(status) else { return "status \(status): \(r.text.prefix(200))" }
        guard status >= 400 else { return nil }
        guard r.headers[.contentType] == "application/json" else { return "\(status) with Content-Type \(r.headers[.contentType] ?? "none")" }
        guard let e = r.apiError else { return "\(status) body is not an APIError: \(r.text.prefix(200))" }
        guard e.code.isKnown, !e.error.isEmpty, Int(e.code.status.code) == status else { return "\(status) with \(e)" }
        return nil
    }
}
