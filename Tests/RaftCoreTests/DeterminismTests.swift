import RaftCore
import Testing

/// `RaftNode` reads no clock and draws randomness only from its seeded generator, so the same
/// inputs and seeds reproduce a run message for message.
@Suite("Determinism")
struct DeterminismTests {
    static let E = TestCluster.electionTicks

    struct Run: Equatable {
        var messages: [Message]
        var logs: [[Entry]]
        var leaders: [UInt64: Set<NodeID>]
    }

    /// A story with elections, a partition, a crash, a snapshot and a transfer.
    static func run(seed: UInt64) -> Run {
        let c = TestCluster(voters: 5, seed: seed, configure: { $0.snapshotChunkSize = 16 })
        c.tick(until: { $0.leader != nil }, within: 10 * E)
        for round in 1...3 {
            guard let leader = c.leader else { break }
            for k in 1...4 { _ = try? c.propose(leader, "r\(round)-\(k)") }
            c.partition([leader, c.ids.first { $0 != leader }!], c.ids.filter { $0 != leader }.dropFirst().map { $0 })
            c.tickAll(3 * E)
            c.heal()
            c.crash(c.ids[round])
            c.tickAll(2 * E)
            if let l = c.leader { c.compact(l) }
            c.restart(c.ids[round])
            c.tickAll(2 * E)
            if let l = c.leader { try? c.transferLeadership(l, to: c.ids[(round * 2) % 5]) }
            c.tickAll(E)
        }
        return Run(messages: c.sent, logs: c.ids.map { c.log($0) }, leaders: c.leadersByTerm())
    }

    @Test("two runs with the same seeds produce identical message sequences")
    func sameSeedSameRun() {
        let a = Self.run(seed: 7)
        let b = Self.run(seed: 7)
        #expect(a.messages.count > 500, "the story exercised the cluster")
        #expect(a.messages == b.messages)
        #expect(a.logs == b.logs)
        #expect(a.leaders == b.leaders)
    }

    @Test("the seed drives the election timing: different seeds give different runs")
    func seedMatters() {
        let runs = (1...4 as ClosedRange<UInt64>).map { Self.run(seed: $0).messages }
        #expect(Set(runs.map(\.count)).count > 1 || runs.dropFirst().contains { $0 != runs[0] })
    }
}
