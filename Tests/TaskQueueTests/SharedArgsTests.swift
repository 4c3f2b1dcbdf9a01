import Testing
@testable import TaskQueue

/// Tasks submitted with equal arguments share one dictionary; the values never change.
@Suite("Shared task arguments")
struct SharedArgsTests {
    /// The storage reference of a dictionary: equal bits mean one shared heap block.
    static func storage(_ args: [String: String]) -> [UInt8] {
        withUnsafeBytes(of: args) { Array($0) }
    }

    static func spec(_ text: String) -> TaskSpec {
        // Built anew each time, so equal specs start out with storage of their own.
        TaskSpec(kind: "echo", args: Dictionary(uniqueKeysWithValues: [("text", text), ("n", "1")]))
    }

    @Test func equalArgumentsShareStorage() throws {
        var state = TaskQueueState()
        let (one, two) = (Self.spec("a"), Self.spec("a"))
        #expect(Self.storage(one.args) != Self.storage(two.args))
        for i in 0..<3 { _ = state.apply(.submit(key: "k\(i)", spec: Self.spec("a"), at: 1)) }
        _ = state.apply(.submit(key: "other", spec: Self.spec("b"), at: 1))
        let blocks = state.tasks.map { Self.storage($0.spec.args) }
        #expect(blocks[0] == blocks[1] && blocks[1] == blocks[2])
        #expect(blocks[3] != blocks[0])
        #expect(state.tasks.map { $0.spec.args["text"] } == ["a", "a", "a", "b"])
    }

    @Test func aRestoredSnapshotSharesToo() throws {
        var state = TaskQueueState()
        for i in 0..<4 { _ = state.apply(.submit(key: "k\(i)", spec: Self.spec("a"), at: 1)) }
        let restored = try TaskQueueState(snapshot: state.snapshot())
        #expect(restored == state)
        #expect(Set(restored.tasks.map { Self.storage($0.spec.args) }).count == 1)
    }

    @Test func theCacheIsBoundedAndLosesNothing() {
        var state = TaskQueueState()
        let count = TaskQueueState.sharedArgsLimit + 10
        for i in 0..<count { _ = state.apply(.submit(key: "k\(i)", spec: Self.spec("\(i)"), at: 1)) }
        #expect(state.sharedArgs.count == TaskQueueState.sharedArgsLimit)
        #expect(state.tasks.map { $0.spec.args["text"] } == (0..<count).map { "\($0)" })
    }
}
