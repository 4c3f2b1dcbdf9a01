import Foundation
import Testing
import TaskQueue

/// `TaskSpec` and `TaskState` are Codable for the admin API; only the tests reach for Foundation's JSON.
@Suite("TaskSpec and TaskState JSON")
struct SpecCodableTests {
    @Test func onlyKindIsRequired() throws {
        let spec = try JSONDecoder().decode(TaskSpec.self, from: Data(#"{"kind":"sleep"}"#.utf8))
        #expect(spec == TaskSpec(kind: "sleep"))
    }

    @Test func everyFieldRoundTrips() throws {
        let spec = TaskSpec(kind: "hash", args: ["n": "1000"], target: "n2", maxAttempts: 5, timeoutMs: 2_500)
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(TaskSpec.self, from: data) == spec)
    }

    @Test func missingKindIsAnError() {
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(TaskSpec.self, from: Data(#"{"maxAttempts":2}"#.utf8))
        }
    }

    @Test func statesUseTheirWireNames() throws {
        let data = try JSONEncoder().encode([TaskState.timedOut, .queued])
        #expect(String(decoding: data, as: UTF8.self) == #"["timed-out","queued"]"#)
        #expect(try JSONDecoder().decode([TaskState].self, from: data) == [.timedOut, .queued])
    }
}
