import FlotillaAPI
import Foundation
import Testing
import TestSupport
@testable import FlotillaNode

/// Every request body the admin API decodes, from random and mutated JSON: each input is
/// decoded as one request type (a mutated seed as its own) and decodes or throws (as the server's decoder does), and what decodes goes through the same checks the
/// node runs before anything reaches the log. Nothing may trap.
@Suite("Admin request fuzz")
struct AdminRequestFuzzTests {
    /// A small seeded generator of our own (the test target does not link BinaryCoding).
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    }

    /// Valid bodies of every request type, to mutate.
    static let seeds: [String] = [
        #"{"kind":"echo","args":{"text":"hi"},"key":"k-1","target":"n2","maxAttempts":3,"timeoutMs":5000}"#,
        #"{"kind":"shell","args":{"command":"true"}}"#,
        #"{"id":"n4","raftAddress":"127.0.0.1:7104","adminAddress":"127.0.0.1:8104","slots":2}"#,
        #"{"members":[{"id":"n1","raftAddress":"127.0.0.1:7101","adminAddress":"127.0.0.1:8101","voter":true}]}"#,
        #"{"to":"n2"}"#, "{}",
        #"{"drop":["n2","n3"],"direction":"out","delayMs":20,"loss":0.5}"#,
        #"{"node":"n1","epoch":7,"outcome":"succeeded","result":"ok"}"#,
    ]

    static let keys = ["kind", "args", "key", "target", "maxAttempts", "timeoutMs", "id", "raftAddress", "adminAddress", "slots",
                       "members", "voter", "to", "drop", "direction", "delayMs", "loss", "node", "epoch", "outcome", "result", "error"]

    static let numbers = ["0", "-1", "1", "3", "-0", "1e400", "-1e400", "1.5", "2e3", "9223372036854775807", "9223372036854775808",
                          "-9223372036854775809", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
                          "0.0000001", "65535", "65536", "1000000", "NaN", "Infinity"]

    static let strings = ["", "n1", "echo", "shell", "sleep", "both", "out", "in", "started", "succeeded", "failed", "127.0.0.1:8101",
                          "a b=c:1", ":0", "host:99999", "\\u0000", "\\ud800", "é", "🚀", String(repeating: "x", count: 300), "\\\"", "\\n"]

    static func value(_ rng: inout Rng, depth: Int) -> String {
        switch depth > 3 ? rng.below(4) : rng.below(7) {
        case 0: return numbers[rng.below(numbers.count)]
        case 1: return "\"\(strings[rng.below(strings.count)])\""
        case 2: return ["true", "false", "null"][rng.below(3)]
        case 3: return "\"\(keys[rng.below(keys.count)])\""
        case 4: return "[" + (0..<rng.below(4)).map { _ in value(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        default: return object(&rng, depth: depth + 1)
        }
    }

    static func object(_ rng: inout Rng, depth: Int) -> String {
        let fields = (0..<rng.below(7)).map { _ in
            "\"\(rng.chance(0.85) ? keys[rng.below(keys.count)] : strings[rng.below(strings.count)])\":\(value(&rng, depth: depth))"
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static let junk = ["{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "null", "1e999", "-", ".", " ", "\n", "\u{0}", "{\"kind\":", "]]]]"]

    static func mutate(_ b: inout [UInt8], _ rng: inout Rng) {
        switch rng.below(6) {
        case 0 where !b.isEmpty: b[rng.below(b.count)] ^= UInt8(1 << rng.below(8))
        case 1 where !b.isEmpty: b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 2: b.insert(contentsOf: Array(junk[rng.below(junk.count)].utf8), at: rng.below(b.count + 1))
        case 3 where !b.isEmpty:
            let a = rng.below(b.count)
            b.removeSubrange(a..<min(b.count, a + 1 + rng.below(12)))
        case 4 where !b.isEmpty:
            let a = rng.below(b.count)
            b.insert(contentsOf: Array(b[a..<min(b.count, a + 1 + rng.below(30))]), at: rng.below(b.count + 1))
        default: b = Array(b.prefix(rng.below(b.count + 1)))
        }
    }

    /// Decodes `data` as one request type and runs the node's checks on it; true when it decoded.
    static func exercise<T: Decodable>(_ type: T.Type, _ data: Data, _ decoder: JSONDecoder, check: (T) -> Void) -> Bool {
        guard let v = try? decoder.decode(T.self, from: data) else { return false }
        check(v)
        return true
    }

    /// Four seeded shards of 25,000 bodies (100,000 in all, run in parallel).
    @Test(arguments: 0..<4)
    func oneHundredThousandBodiesDecodeOrThrowAsEveryRequestType(shard: Int) async throws {
        let total = 25_000
        let (attempts, decoded, generating) = try await offThePool { () -> ([String: Int], [String: Int], Duration) in
            AdminRequestFuzzTests.fuzz(shard: shard, total: total)
        }
        print("fuzz admin request bodies shard \(shard): \(total) inputs (generating \(generating)); decoded of tried: "
              + attempts.sorted { $0.key < $1.key }.map { "\($0.key) \(decoded[$0.key] ?? 0)/\($0.value)" }.joined(separator: ", "))
        #expect(attempts.values.reduce(0, +) == total)
        #expect(decoded.count == 6, "every request type decoded some input: \(decoded)")
        #expect(decoded.allSatisfy { $0.value < attempts[$0.key]! })
    }

    /// One shard: how often each request type was tried and decoded, and the time spent generating bodies.
    static func fuzz(shard: Int, total: Int) -> ([String: Int], [String: Int], Duration) {
        var rng = Rng(state: 0xAD31 &+ UInt64(shard) << 36)
        let decoder = JSONDecoder()
        var decoded = [String: Int]()
        var attempts = [String: Int]()
        var timings = [Duration](repeating: .zero, count: 4)
        for n in 0..<total {
            var bytes: [UInt8]
            // Which request type this body is decoded as: the seed's own type for a mutated seed.
            var type = rng.below(6)
            let started = ContinuousClock.now
            switch n % 10 {
            case 0: bytes = Array(AdminRequestFuzzTests.object(&rng, depth: 0).utf8)
            case 1: bytes = (0..<rng.below(40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 2: bytes = Array((String(repeating: "[", count: 1 + rng.below(1000)) + "1").utf8)  // deep nesting
            default:
                let seed = rng.below(AdminRequestFuzzTests.seeds.count)
                type = [0, 0, 1, 2, 3, 3, 4, 5][seed]
                bytes = Array(AdminRequestFuzzTests.seeds[seed].utf8)
                for _ in 0..<(1 + rng.below(3)) { AdminRequestFuzzTests.mutate(&bytes, &rng) }
            }
            let data = Data(bytes)
            timings[0] += ContinuousClock.now - started
            func count(_ name: String, _ ok: Bool) {
                attempts[name, default: 0] += 1
                if ok { decoded[name, default: 0] += 1 }
            }
            switch type {
            case 0: count("TaskSubmission", AdminRequestFuzzTests.exercise(TaskSubmission.self, data, decoder) { _ = RequestValidation.problem($0) })
            case 1: count("JoinRequest", AdminRequestFuzzTests.exercise(JoinRequest.self, data, decoder) {
                _ = RequestValidation.problem(id: $0.id, raftAddress: $0.raftAddress, adminAddress: $0.adminAddress, slots: $0.slots)
            })
            case 2: count("BootstrapRequest", AdminRequestFuzzTests.exercise(BootstrapRequest.self, data, decoder) { r in
                for m in r.members { _ = RequestValidation.problem(id: m.id, raftAddress: m.raftAddress, adminAddress: m.adminAddress, slots: nil) }
            })
            case 3: count("TransferRequest", AdminRequestFuzzTests.exercise(TransferRequest.self, data, decoder) { _ = $0.to })
            case 4: count("FaultSpec", AdminRequestFuzzTests.exercise(FaultSpec.self, data, decoder) { _ = $0.problem })
            default: count("TaskReport", AdminRequestFuzzTests.exercise(TaskReport.self, data, decoder) { _ = try? $0.command(task: "t-1", at: 0) })
            }
        }
        return (attempts, decoded, timings[0])
    }

    @Test func theChecksRefuseWhatMustNotReachTheLog() {
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", maxAttempts: 0)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", maxAttempts: -5)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", maxAttempts: 101)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", timeoutMs: 0)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", key: "")) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", key: "k", maxAttempts: 3, timeoutMs: 1000)) == nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:7104", adminAddress: "127.0.0.1:8104", slots: 2) == nil)
        #expect(RequestValidation.problem(id: "n 4", raftAddress: "127.0.0.1:7104", adminAddress: "127.0.0.1:8104", slots: 2) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "1.2.3.4:1 admin=evil:2", adminAddress: "127.0.0.1:8104", slots: 2) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:8104", slots: nil) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:7104", adminAddress: "nohost", slots: nil) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:7104", adminAddress: "127.0.0.1:8104", slots: -1) != nil)
    }
}
