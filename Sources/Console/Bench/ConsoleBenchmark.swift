import FlotillaAPI
import Foundation
import Orchestrator

/// `flotilla bench console`: the time to build one frame from the model and diff it against
/// the last one on the in-memory backend, for a busy cluster of `nodes` nodes (a leader under
/// load, a learner catching up, a node down, one partitioned, events and tasks flowing).
public struct ConsoleBenchmark: Sendable {
    public var nodes: Int
    public var frames: Int
    public var width: Int
    public var height: Int

    public init(nodes: Int, frames: Int, width: Int = 160, height: Int = 45) {
        self.nodes = nodes
        self.frames = frames
        self.width = width
        self.height = height
    }

    public struct Result: Sendable {
        /// Microseconds per frame, sorted.
        public var micros: [Double]
        public var cellsChanged: Int

        func percentile(_ p: Double) -> Double { micros.isEmpty ? 0 : micros[min(micros.count - 1, Int(Double(micros.count) * p))] }
        public var line: String {
            String(format: "bench console: frames=%d p50=%.0fus p99=%.0fus", micros.count, percentile(0.5), percentile(0.99))
        }
    }

    public func run() -> Result {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var model = ConsoleModel(snapshot: snapshot(commit: 1000, at: start))
        model.now = start
        model.events = (0..<300).map { i in ControlEvent(.observed, node: "n\(i % nodes + 1)", "event \(i): n\(i % nodes + 1) did something", at: start) }
        let backend = MemoryBackend(width: width, height: height)
        let keys = KeyMap()
        let clock = ContinuousClock()
        var micros: [Double] = []
        micros.reserveCapacity(frames)
        var changed = 0
        for i in 0..<frames {
            // What changes between two frames of a live console: commits, the clock, now and then an event and a task.
            let at = start.addingTimeInterval(Double(i) * 0.2)
            let began = clock.now
            model.snapshot = snapshot(commit: UInt64(1000 + i * 37), at: at)
            model.now = at
            model.opsHistory = Array((model.opsHistory + [Double(150 + i % 40)]).suffix(30))
            if i % 5 == 0 { model.events.append(ControlEvent(.action, "frame \(i): an operator action", reason: "operator", at: at)) }
            if i % 3 == 0 { model.tasks = tasks(i, at: at) }
            model.selected = i / 50 % nodes
            let frame = ConsoleView.render(model, width: width, height: height, keys: keys)
            backend.present(frame)
            let spent = clock.now - began
            micros.append(Double(spent.components.seconds) * 1e6 + Double(spent.components.attoseconds) / 1e12)
            changed += backend.lastChanged
        }
        return Result(micros: micros.sorted(), cellsChanged: changed)
    }

    func snapshot(commit: UInt64, at: Date) -> ClusterSnapshot {
        let ids = (1...nodes).map { "n\($0)" }
        let members = ids.enumerated().map { i, id in
            MemberInfo(id: id, raftAddress: "127.0.0.1:\(7100 + i)", adminAddress: "127.0.0.1:\(8100 + i)", voter: i != nodes - 1)
        }
        let peers = ids.dropFirst().enumerated().map { i, id in
            PeerInfo(id: id, match: commit - UInt64(i), next: commit + 1, progress: id == ids.last ? "snapshot" : "replicate",
                     status: id == ids.last ? "catching-up" : i == 1 ? "unreachable" : "healthy", lastContactMs: 20,
                     snapshotSent: id == ids.last ? Int(commit % 100) : nil, snapshotTotal: id == ids.last ? 100 : nil)
        }
        let nodesSeen = ids.enumerated().map { i, id -> NodeObservation in
            let st = NodeStatus(id: id, clusterID: "bench", role: i == 0 ? .leader : i == nodes - 1 ? .learner : .follower, term: 14, leader: "n1",
                                vote: "n1", commit: commit - UInt64(i), applied: commit - UInt64(i), lastIndex: commit, snapshotIndex: commit / 2,
                                commitHash: "ab", members: members, peers: i == 0 ? Array(peers) : [],
                                tasks: TaskCounts(byState: [.running: 2, .succeeded: Int(commit) / 4], queued: 3),
                                faults: FaultSpec(drop: i == 2 ? ["n1"] : []), raftAddress: members[i].raftAddress,
                                adminAddress: members[i].adminAddress, uptimeMs: UInt64(at.timeIntervalSince1970 * 1000) % 1_000_000)
            return NodeObservation(id: id, adminAddress: members[i].adminAddress, status: st, up: i != 3, lastSeen: at, process: i == 3 ? .stopped : .running)
        }
        return ClusterSnapshot(seq: commit, takenAt: at, nodes: nodesSeen)
    }

    func tasks(_ i: Int, at: Date) -> [TaskView] {
        let ms = UInt64(at.timeIntervalSince1970 * 1000)
        let states: [TaskState] = [.queued, .assigned, .running, .succeeded, .failed]
        return (0..<200).map { j in
            TaskView(id: "t-\(i * 10 + j)", key: "k", kind: j % 2 == 0 ? "sleep" : "echo", args: [:], target: nil, state: states[(i + j) % 5],
                     node: "n\(j % nodes + 1)", epoch: 1, attempts: 1, maxAttempts: 3, submittedAt: ms - UInt64(j * 100), updatedAt: ms, result: nil, error: nil)
        }
    }
}
