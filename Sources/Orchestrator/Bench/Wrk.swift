import ChildProcesses
import Foundation

/// wrk, the external HTTP load tool, run against the same leader with the same writes as
/// `WriteBenchmark`, so the benchmark's own load generator can be checked against it.
public enum Wrk {
    public struct Result: Sendable {
        public var throughput: Double
        public var p50Ms: Double
        public var p99Ms: Double
        public var non2xx: Int
        /// Answers wrk counted.
        public var requests: Int = 0
        /// wrk's mean latency.
        public var meanMs: Double = 0

        /// Mean latency times throughput, as `WriteBenchmark.Result.inFlight`.
        public var inFlight: Double { meanMs / 1000 * throughput }

        public var line: String {
            String(format: "bench write (wrk, flotilla): throughput=%.0f/s p50=%.2fms p99=%.2fms in_flight=%.1f errors=%d",
                   throughput, p50Ms, p99Ms, inFlight, non2xx)
        }
    }

    public static func executable() -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/wrk"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Task submits with a fresh key per request, as `WriteBenchmark` sends them.
    static func submitScript(token: String?) -> String {
        let auth = token.map { #", ["Authorization"]="Bearer \#($0)""# } ?? ""
        // wrk's threads each load the script afresh with an unseeded math.random: the run's
        // tag comes from here, so a second run's keys are new writes, not idempotent repeats.
        // `setup` runs in wrk's main state and sets each thread's global `tid`; a local of that
        // name would shadow it, and every thread would send the same keys.
        return """
            local counter, run = 0, "\(UInt32.random(in: 0...UInt32.max))"
            setup = function(thread) started = (started or 0) + 1; thread:set("tid", started) end
            request = function()
              counter = counter + 1
              local body = '{"kind":"echo","args":{"text":"b"},"key":"wrk-' .. run .. '-' .. tostring(tid) .. '-' .. counter .. '"}'
              return wrk.format("POST", "/v1/tasks", {["Content-Type"]="application/json"\(auth)}, body)
            end
            """
    }

    public static func run(at address: String, token: String?, connections: Int, threads: Int, seconds: Int) async throws -> Result {
        guard let wrk = executable() else { throw OrchestratorError("no wrk on PATH (Debian: apt-get install wrk)") }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-wrk-\(UUID().uuidString.prefix(8)).lua")
        try submitScript(token: token).write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, "http://\(address)"]
        let output: [UInt8]
        do {
            // wrk's report is a few KiB; 1 MiB bounds what a misbehaving one could make us hold.
            output = try await ChildProcess.run(wrk, arguments, keep: 1 << 20).output
        } catch {
            throw OrchestratorError("could not run wrk: \(error)")
        }
        let text = String(decoding: output, as: UTF8.self)
        guard let result = parse(text) else { throw OrchestratorError("could not read wrk's output:\n\(text)") }
        return result
    }

    /// Reads wrk's `--latency` report.
    static func parse(_ text: String) -> Result? {
        var throughput: Double?, p50: Double?, p99: Double?, non2xx = 0, requests = 0, mean = 0.0
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.first == "Requests/sec:", words.count >= 2 { throughput = Double(words[1]) }
            if words.first == "50%", words.count >= 2 { p50 = milliseconds(words[1]) }
            if words.first == "99%", words.count >= 2 { p99 = milliseconds(words[1]) }
            if line.contains("Non-2xx or 3xx responses:"), let n = words.last.flatMap({ Int($0) }) { non2xx = n }
            if words.count >= 3, words[1] == "requests", words[2] == "in", let n = Int(words[0]) { requests = n }
            if words.first == "Latency", words.count >= 2, let m = milliseconds(words[1]) { mean = m }
        }
        guard let throughput, let p50, let p99 else { return nil }
        return Result(throughput: throughput, p50Ms: p50, p99Ms: p99, non2xx: non2xx, requests: requests, meanMs: mean)
    }

    /// "812.00us", "12.3ms", "1.20s" as milliseconds.
    static func milliseconds(_ s: Substring) -> Double? {
        for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where s.hasSuffix(unit) {
            return Double(s.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
}
