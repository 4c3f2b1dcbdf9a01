import RaftCore
import TaskQueue
import Testing
@testable import NodeCore

/// Linearizable reads (ReadIndex) through the core: served on a leader a quorum confirms,
/// never on a leader cut off from it — unless the stale-read bug is planted.
@Suite("Node core: linearizable reads")
struct ReadTests {
    func served(_ c: CoreCluster, _ id: NodeID, _ token: UInt64) -> Bool {
        c.all(id).contains { $0.reads.contains(token) }
    }

    @Test func aReadOnTheLeaderIsServedOnceAQuorumConfirmsIt() throws {
        var c = CoreCluster(3)
        let l = c.elect()
        try c.cores[l]!.propose(.submit(key: "k1", spec: TaskSpec(kind: "echo"), at: 1), token: 1)
        try c.cores[l]!.read(token: 2)
        #expect(c.run(upTo: 50) { served($0, l, 2) })
        // Served only after what was committed when the read began had applied.
        #expect(c.cores[l]!.queue.tasks.contains { $0.key == "k1" })
    }

    @Test func aFollowerRefusesAReadNamingTheLeader() {
        var c = CoreCluster(3)
        let l = c.elect()
        let f = c.ids.first { $0 != l }!
        #expect(throws: NodeRefusal.notLeader(leader: l)) { try c.cores[f]!.read(token: 1) }
    }

    @Test func anIsolatedLeaderNeverServesAReadButThePlantedBugDoes() throws {
        for bug in [nil, PlantedBug.staleReads] {
            var c = CoreCluster(3) { $0.plantedBug = bug }
            let l = c.elect()
            c.isolated = [l]
            try c.cores[l]!.read(token: 9)
            _ = c.run(upTo: 30) { _ in false }
            #expect(served(c, l, 9) == (bug == .staleReads), "bug: \(String(describing: bug))")
        }
    }
}
