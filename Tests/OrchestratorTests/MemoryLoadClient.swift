import FlotillaAPI
@testable import Orchestrator

/// A load client over a set of keys in memory, whose writes can be scripted to fail: each entry
/// of `failures` is the error the next write attempt throws (after it, writes succeed). An
/// error whose text says "refused" was refused before proposing, "final" is never retried, and
/// "applied" took effect although the call failed (an answer lost after the commit).
actor MemoryLoadClient: LoadClient {
    nonisolated let events: EventSink
    private(set) var keys = Set<String>()
    private var failures: [String]
    private(set) var attempts = 0

    init(events: EventSink = EventSink(), failures: [String] = []) {
        self.events = events
        self.failures = failures
    }

    func write(_ key: String, _ submission: TaskSubmission, fresh: Bool) async throws -> LoadWrite {
        attempts += 1
        if !failures.isEmpty {
            let failure = failures.removeFirst()
            if failure.contains("applied") { keys.insert(key) }
            throw OrchestratorError(failure)
        }
        keys.insert(key)
        return LoadWrite(id: "id-\(key)")
    }

    func read(prefix: String, limit: Int) async throws -> LoadRead {
        let mine = keys.filter { $0.hasPrefix(prefix) }.sorted()
        return LoadRead(keys: Array(mine.prefix(limit)), complete: mine.count <= limit)
    }

    nonisolated func refusedBeforeProposing(_ error: any Error) -> Bool { "\(error)".contains("refused") }
    nonisolated func isFinal(_ error: any Error) -> Bool { "\(error)".contains("final") }
}
