import FlotillaAPI
import Foundation
import Testing

/// The typed wire values keep the JSON byte for byte, and a value only a newer node knows
/// decodes as `unknown` (kept as sent) instead of failing the whole answer.
@Suite("Wire enums")
struct WireEnumTests {
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func rawValuesAreTheOnesOnTheWire() {
        #expect(NodeRole.known.map(\.rawValue) == ["follower", "pre-candidate", "candidate", "leader", "learner"])
        #expect(TaskState.known.map(\.rawValue) == ["queued", "assigned", "running", "succeeded", "failed", "cancelled", "timed-out"])
        #expect(FaultDirection.known.map(\.rawValue) == ["both", "in", "out"])
        #expect(APIErrorCode.known.map(\.rawValue) == ["bad-request", "unauthorized", "not-found", "method-not-allowed", "not-leader", "no-leader",
                                                       "too-large", "unsupported-media-type", "conflict", "timeout", "unavailable", "queue-full", "storage", "internal"])
        for role in NodeRole.known { #expect(NodeRole(rawValue: role.rawValue) == role) }
    }

    @Test func theJSONIsUnchanged() throws {
        #expect(try Self.json(APIError("no", code: .notLeader, leader: "h:1")) == #"{"code":"not-leader","error":"no","leader":"h:1"}"#)
        #expect(try Self.json(TaskCounts(byState: [.timedOut: 2, .queued: 1], queued: 1)) == #"{"byState":{"queued":1,"timed-out":2},"perNode":{},"queued":1}"#)
        #expect(try Self.json(FaultSpec(drop: ["n2"], direction: .out)) == #"{"delayMs":0,"direction":"out","drop":["n2"],"loss":0}"#)
        let counts = try JSONDecoder().decode(TaskCounts.self, from: Data(#"{"byState":{"running":3,"timed-out":1},"queued":0,"perNode":{}}"#.utf8))
        #expect(counts.byState == [.running: 3, .timedOut: 1])
    }

    @Test func aValueFromANewerNodeDecodesAsUnknownAndEncodesBackAsSent() throws {
        let error = try JSONDecoder().decode(APIError.self, from: Data(#"{"error":"slow down","code":"rate-limited"}"#.utf8))
        #expect(error.code == .unknown("rate-limited") && !error.code.isKnown && error.error == "slow down")
        let counts = try JSONDecoder().decode(TaskCounts.self, from: Data(#"{"byState":{"paused":4},"queued":0,"perNode":{}}"#.utf8))
        #expect(counts.byState == [.unknown("paused"): 4])
        #expect(try Self.json(counts).contains(#""paused":4"#))
        let role = try JSONDecoder().decode([NodeRole].self, from: Data(#"["witness","leader"]"#.utf8))
        #expect(role == [.unknown("witness"), .leader])
        #expect(NodeRole(rawValue: "witness").description == "witness")
    }

    @Test func anUnknownDirectionIsRefusedNamingTheAllowedOnes() throws {
        let spec = try JSONDecoder().decode(FaultSpec.self, from: Data(#"{"drop":[],"direction":"sideways","delayMs":0,"loss":0}"#.utf8))
        #expect(spec.direction == .unknown("sideways"))
        #expect(spec.problem == #"direction must be both, in or out (got "sideways")"#)
        #expect(FaultSpec(direction: .in).problem == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FaultSpec.self, from: Data(#"{"drop":[],"direction":5,"delayMs":0,"loss":0}"#.utf8)) }
    }
}
