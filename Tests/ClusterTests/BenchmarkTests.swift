import FlotillaAPI
import Foundation
import Testing
import TestSupport
@testable import Orchestrator

/// The benchmarks' load generator tells the truth: what it counts as acknowledged writes are
/// writes the cluster holds, and it reads HTTP answers however they are framed.
@Suite("Benchmarks")
struct BenchmarkTests {
    @Test func everyWriteTheLoadGeneratorCountsIsATaskTheClusterHolds() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let pids = c.spec.nodes.compactMap { c.launcher.pid(of: $0) }
            let result = try await WriteBenchmark(clients: 4, duration: .milliseconds(800), threads: 2)
                .run(at: leader.adminAddress, target: .flotilla(token: c.token), serverPids: pids)
            #expect(result.ops > 0)
            #expect(result.errors == 0)
            #expect(result.latencies.count == result.ops)
            // Little's law: on average no more writes are in flight than there are connections.
            #expect(result.inFlight > 0 && result.inFlight <= 4.05, "\(result.inFlight) in flight over 4 connections")
            #expect((result.serverCores ?? 0) > 0, "the nodes' CPU use was read")
            let held = try await c.control.tasks(limit: 10_000)
            // Every counted write is held; at most one more per connection was still in flight when the time ran out.
            let writes = held.tasks.filter { $0.key.hasPrefix("bench-") }.count
            #expect(writes >= result.ops && writes <= result.ops + 4, "held \(writes), counted \(result.ops)")
        }
    }

    /// wrk checks the load generator only if it sends the same writes: one new task per request,
    /// from every thread (its threads once shared their keys, so half its writes were repeats).
    @Test func everyRequestWrkSendsIsANewTask() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let result = try await Wrk.run(at: leader.adminAddress, token: c.token, connections: 4, threads: 2, seconds: 1)
            #expect(result.requests > 0 && result.non2xx == 0)
            let held = try await c.control.tasks(limit: 10_000)
            let writes = held.tasks.filter { $0.key.hasPrefix("wrk-") }.count
            // At most one more per connection was still in flight when wrk stopped counting.
            #expect(writes >= result.requests && writes <= result.requests + 4, "held \(writes), wrk counted \(result.requests)")
        }
    }

    @Test func aWrongTokenCountsAsErrorsNotWrites() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let result = try await WriteBenchmark(clients: 2, duration: .milliseconds(300), threads: 1)
                .run(at: leader.adminAddress, target: .flotilla(token: "not-the-token"))
            #expect(result.ops == 0)
            #expect(result.errors > 0)
        }
    }

    /// `bench failover --engine both`: Flotilla, then etcd, one line each in the same format with
    /// the engine named; etcd's partition without a namespace lab is refused in one line before
    /// any cluster starts.
    @Test(.enabled(if: EtcdLocalCluster.etcdOnPath() != nil, "etcd is not on PATH (Debian: apt-get install etcd-server; CI installs it)"),
          .timeLimit(.minutes(5)))
    func failoverTimesBothEnginesAndPrintsALineForEach() async throws {
        try await withClusterSlot {
            let run = try await flotilla(["bench", "failover", "--engine", "both", "--fault", "kill", "--trials", "2"])
            #expect(run.code == 0, "\(run.out)\(run.err)")
            let lines = run.out.split(separator: "\n").filter { $0.hasPrefix("bench failover (kill): engine=") }
            #expect(lines.count == 2 && lines[0].contains("engine=flotilla trials=2 p50=") && lines[1].contains("engine=etcd trials=2 p50="),
                    "\(run.out)")
        }
        let refused = try await flotilla(["bench", "failover", "--engine", "etcd", "--fault", "partition", "--trials", "1"])
        #expect(refused.code == 1 && refused.err.contains("--net netns") && refused.err.split(separator: "\n").count == 1, "\(refused.err)")
        #expect(refused.out.isEmpty, "nothing ran: \(refused.out)")
    }

    @Test func answersAreCompleteOnlyWithTheirWholeBody() {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
        #expect(HTTPLoad.completeAnswer(Array((head + "abc").utf8)) == nil)
        #expect(HTTPLoad.completeAnswer(Array((head + "abcde").utf8)) == 200)
        #expect(HTTPLoad.completeAnswer(Array("HTTP/1.1 307 Temporary Redirect\r\ncontent-length: 0\r\n\r\n".utf8)) == 307)
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
        #expect(HTTPLoad.completeAnswer(Array(chunked.utf8)) == nil)
        #expect(HTTPLoad.completeAnswer(Array((chunked + "0\r\n\r\n").utf8)) == 200)
        #expect(HTTPLoad.completeAnswer(Array("HTTP/1.1 200 OK\r\nContent-Le".utf8)) == nil)
    }

    /// A tool whose mean latency times throughput exceeds its connections is named as mismeasuring.
    @Test func theSummaryFlagsLatenciesThatFailLittlesLaw() {
        // 8,000 writes in 1 s at 8 ms each: 64 in flight over 64 connections, as it must be.
        let honest = WriteBenchmark.Result(target: "flotilla", ops: 8000, errors: 0, seconds: 1, clientCores: 0.2, serverCores: nil,
                                           latencies: [Double](repeating: 8, count: 8000))
        #expect(abs(honest.inFlight - 64) < 0.001)
        let wrk = Wrk.Result(throughput: 4710.41, p50Ms: 12.79, p99Ms: 1200, non2xx: 0, requests: 37683, meanMs: 15.17)
        let lines = WriteBenchmark.summary(["flotilla": [honest]], wrk: [wrk], connections: 64)
        let warnings = lines.filter { $0.contains("not to be trusted") }
        #expect(warnings == ["bench write: wrk's latencies are not to be trusted: in_flight 71.5 over 64 connections"], "\(lines)")
        #expect(WriteBenchmark.summary(["flotilla": [honest]], wrk: [], connections: 64).allSatisfy { !$0.contains("not to be trusted") })
    }

    @Test func wrksReportIsRead() throws {
        let report = """
            Running 8s test @ http://127.0.0.1:40063
              2 threads and 64 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency    15.17ms   43.33ms 375.39ms   96.28%
              Latency Distribution
                 50%   12.79ms
                 75%   15.10ms
                 90%  812.00us
                 99%    1.20s
              37683 requests in 8.00s, 4.51MB read
              Non-2xx or 3xx responses: 12
            Requests/sec:   4710.41
            """
        let r = try #require(Wrk.parse(report))
        #expect(r.throughput == 4710.41)
        #expect(r.p50Ms == 12.79)
        #expect(r.p99Ms == 1200)
        #expect(r.non2xx == 12)
        #expect(r.requests == 37683)
        #expect(r.meanMs == 15.17)
        #expect(abs(r.inFlight - 71.46) < 0.01, "15.17 ms x 4710.41/s")
        #expect(Wrk.parse("connection refused") == nil)
    }
}
