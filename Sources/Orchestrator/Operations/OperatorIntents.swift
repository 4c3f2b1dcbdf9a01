import Foundation
import Synchronization

/// What the operator did on purpose, so recovery never "repairs" it behind their back:
/// nodes they stopped or paused, and the recovery mode they chose. A local cluster keeps
/// these in `operator.json` beside cluster.json, so every command and the supervisor share them.
public struct OperatorIntents: Codable, Sendable, Equatable {
    public var stopped: Set<String> = []
    public var paused: Set<String> = []
    /// off, advise or auto, when the operator set one (panic sets advise).
    public var recover: String?
    /// Times of automatic recovery actions per node (anti-flapping).
    public var automaticActions: [String: [Date]] = [:]

    public init() {}
}

/// Reads and updates the intents: from a file for a local cluster, in memory otherwise.
public final class IntentStore: Sendable {
    private let path: String?
    private let memory = Mutex(OperatorIntents())

    public init(directory: String?) { path = directory.map { "\($0)/operator.json" } }

    public var current: OperatorIntents {
        guard let path else { return memory.withLock { $0 } }
        guard let data = FileManager.default.contents(atPath: path),
              let intents = try? JSONDecoder().decode(OperatorIntents.self, from: data) else { return OperatorIntents() }
        return intents
    }

    public func update(_ change: (inout OperatorIntents) -> Void) {
        guard let path else {
            memory.withLock { change(&$0) }
            return
        }
        var intents = current
        change(&intents)
        if let data = try? JSONEncoder().encode(intents) {
            try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}
