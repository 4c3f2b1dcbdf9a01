import FlotillaAPI
import Testing
@testable import Orchestrator

@Suite("Soak tally")
struct SoakTallyTests {
    static func task(_ id: String, _ key: String) -> TaskView {
        TaskView(id: id, key: key, kind: "echo", args: [:], target: nil, state: .succeeded, node: "n1", epoch: 1, attempts: 1,
                 maxAttempts: 3, submittedAt: 1, updatedAt: 2, result: "", error: nil)
    }

    @Test func aWriteIsFoundInTheTableOrAmongRemovedKeysWithItsOwnId() {
        var tally = SoakTally()
        tally.observe(tasks: [Self.task("t-3", "c"), Self.task("t-4", "d"), Self.task("t-5", "d")])
        tally.observe(removedKeys: [RemovedKeyView(key: "a", id: "t-1", submittedAt: 1), RemovedKeyView(key: "b", id: "t-9", submittedAt: 1)])
        let acknowledged = ["a": "t-1", "b": "t-2", "c": "t-3", "e": "t-6"]
        #expect(tally.lost(acknowledged) == ["b", "e"], "b under another id, e nowhere")
        #expect(tally.duplicated == ["d"])
    }
}
