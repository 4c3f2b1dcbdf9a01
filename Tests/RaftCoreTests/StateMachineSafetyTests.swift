import RaftCore
import Testing
import TestSupport

/// Raft paper, Figure 3 — State Machine Safety: if a server has applied a log entry at a given
/// index to its state machine, no other server will ever apply a different log entry for the
/// same index. (The cluster checks every applied entry against the first one applied at that
/// index, and that each node applies in index order without gaps.)
@Suite("Figure 3: State Machine Safety")
struct StateMachineSafetyTests {
    static let E = TestCluster.electionTicks

    @Test("through partitions, crashes, restarts, compaction and transfers every node applies the same entries")
    func sameEntriesAppliedEverywhere() async throws {
        // CPU-bound: on threads of its own, not the few the concurrent tests share.
        try await heavy {
            let c = TestCluster(voters: 5, configure: { $0.snapshotChunkSize = 16 })
            c.elect("n1")
            c.proposeAndCommit("n1", count: 3, prefix: "a")

            // A minority partition with the old leader; the majority moves on.
            c.partition(["n1", "n2"], ["n3", "n4", "n5"])
            try c.propose("n1", "doomed")
            c.tick(until: { c in c.leaders.contains { ["n3", "n4", "n5"].contains($0) } }, within: 10 * Self.E)
            let l2 = try #require(c.leaders.first { ["n3", "n4", "n5"].contains($0) })
            c.proposeAndCommit(l2, count: 3, prefix: "b")
            c.compact(l2)

            // A follower on the majority side crashes and restarts while writes go on.
            let follower = ["n3", "n4", "n5"].first { $0 != l2 }!
            c.crash(follower)
            c.proposeAndCommit(l2, count: 2, prefix: "c")
            c.restart(follower)

            c.heal()
            c.tickAll(4 * Self.E)
            let l3 = try #require(c.leader)
            let target = c.ids.first { $0 != l3 }!
            try c.transferLeadership(l3, to: target)
            c.stabilize()
            c.proposeAndCommit(target, count: 2, prefix: "d")
            c.tickAll(2 * Self.E)

            let expected = ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "d1", "d2"]
            for id in c.ids {
                #expect(c.values(id) == expected, "\(id)")
                #expect(c.machines[id]!.appliedIndex == c[target].commitIndex)
            }
            #expect(!c.anyNodeApplied("doomed"))
        }
    }

    @Test("random faults never make two nodes apply different entries at one index",
          arguments: 1...12 as ClosedRange<UInt64>)
    func randomFaults(seed: UInt64) async throws {
        // CPU-bound: on threads of its own, not the few the concurrent tests share.
        try await heavy {
            let c = TestCluster(voters: 5, seed: seed, configure: { $0.snapshotChunkSize = 32 })
            var rng = TestRandom(seed: seed)
            var written = 0
            for _ in 0..<150 {
                switch rng.below(10) {
                case 0, 1, 2:
                    if let l = c.leader {
                        written += 1
                        _ = try? c.propose(l, "w\(written)")
                    }
                case 3:
                    c.isolate(c.ids[rng.below(5)])
                case 4:
                    c.heal()
                case 5:
                    let id = c.ids[rng.below(5)]
                    if c.down.contains(id) { c.restart(id) } else if c.down.count < 2 { c.crash(id) }
                case 6:
                    let up = c.upNodes
                    let id = up[rng.below(up.count)]
                    if c[id].appliedIndex > c[id].snapshotIndex { c.compact(id) }
                case 7:
                    if let l = c.leader { try? c.transferLeadership(l, to: c.ids[rng.below(5)]) }
                default:
                    break
                }
                c.tick(times: 1 + rng.below(Self.E))
            }
            // Recover: everything heals and restarts, and the cluster converges.
            c.heal()
            for id in c.down.sorted() { c.restart(id) }
            c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
            c.tickAll(4 * Self.E)
            let leader = try #require(c.leader)
            try c.propose(leader, "final")
            c.stabilize()
            c.tickAll(2 * Self.E)
            for id in c.ids {
                #expect(c.machines[id] == c.machines[leader], "\(id) differs from \(leader)")
            }
            #expect(c.values(leader).last == "final")
            c.checkLogMatching()
        }
    }
}

extension StateMachineSafetyTests {
    @Test("a network that loses, duplicates and reorders messages never breaks safety, and the cluster recovers",
          arguments: 1...16 as ClosedRange<UInt64>)
    func chaoticNetwork(seed: UInt64) async throws {
        // CPU-bound: on threads of its own, not the few the concurrent tests share.
        try await heavy {
            let c = TestCluster(voters: 5, seed: seed, configure: {
                $0.snapshotChunkSize = 16
                $0.maxInflight = 4
                $0.maxEntriesPerAppend = 3
            })
            var rng = TestRandom(seed: seed &+ 1_000)
            var written = 0
            for step in 0..<400 {
                switch rng.below(12) {
                case 0, 1, 2, 3:
                    if let l = c.leader {
                        written += 1
                        _ = try? c.propose(l, "w\(written)")
                    }
                case 4:
                    let up = c.upNodes
                    let id = up[rng.below(up.count)]
                    if c[id].appliedIndex > c[id].snapshotIndex { c.compact(id) }
                case 5:
                    if let l = c.leader { try? c.transferLeadership(l, to: c.ids[rng.below(5)]) }
                case 6:
                    // Ask every node that believes it leads, deposed or not.
                    for l in c.leaders { try? c.readIndex(l, context: UInt64(step * 10 + c.ids.firstIndex(of: l)! + 1)) }
                case 7:
                    let id = c.ids[rng.below(5)]
                    if c.down.contains(id) { c.restart(id) } else if c.down.count < 2 { c.crash(id) }
                case 8:
                    if rng.below(2) == 0 { c.isolate(c.ids[rng.below(5)]) } else { c.heal() }
                default:
                    break
                }
                c.tick(deliver: false)
                c.deliverChaotically(&rng, lossPercent: 10, duplicatePercent: 10)
            }
            // Calm returns: every node is up, the network is reliable again.
            c.heal()
            for id in c.down.sorted() { c.restart(id) }
            c.tick(until: { $0.leader != nil }, within: 20 * Self.E)
            c.tickAll(4 * Self.E)
            let leader = try #require(c.leader)
            try c.propose(leader, "final")
            c.stabilize()
            c.tickAll(2 * Self.E)
            for id in c.ids {
                #expect(c.machines[id] == c.machines[leader], "\(id) differs from \(leader)")
            }
            #expect(c.values(leader).last == "final")
            c.checkLogMatching()
            // Every read was answered at an index no later than what was committed when it was served.
            for id in c.ids {
                for r in c.readStates(of: id) { #expect(r.index <= c[leader].commitIndex) }
            }
        }
    }
}

extension StateMachineSafetyTests {
    /// Pre-vote/check-quorum combinations. With both off, a removed node that never learned of
    /// its removal keeps forcing elections (dissertation §4.2.3), so that one is left out.
    static let protections: [(preVote: Bool, checkQuorum: Bool)] = [(true, true), (true, false), (false, true)]

    @Test("membership churn on a hostile network: learners join, are promoted, voters leave — safety holds throughout",
          arguments: 1...12 as ClosedRange<UInt64>)
    func membershipChurn(seed: UInt64) async throws {
        // CPU-bound: on threads of its own, not the few the concurrent tests share.
        try await heavy {
            let protection = Self.protections[Int(seed % 3)]
            let c = TestCluster(voters: 3, seed: seed, configure: {
                $0.snapshotChunkSize = 16
                $0.maxInflight = 3
                $0.maxEntriesPerAppend = 2
                $0.preVote = protection.preVote
                $0.checkQuorum = protection.checkQuorum
            })
            var rng = TestRandom(seed: seed &+ 77)
            var written = 0
            var nextNode = 4
            for step in 0..<500 {
                let voters = c.leader.map { c[$0].membership.voters } ?? []
                switch rng.below(16) {
                case 0, 1, 2, 3:
                    if let l = c.leader {
                        written += 1
                        _ = try? c.propose(l, "w\(written)")
                    }
                case 4:
                    let up = c.upNodes
                    let id = up[rng.below(up.count)]
                    if c[id].appliedIndex > c[id].snapshotIndex { c.compact(id) }
                case 5:
                    if let l = c.leader { try? c.transferLeadership(l, to: c.ids[rng.below(c.ids.count)]) }
                case 6:
                    for l in c.leaders { try? c.readIndex(l, context: UInt64(step * 10 + c.ids.firstIndex(of: l)! + 1)) }
                case 7:
                    // Crash or restart, keeping a quorum of the current voters able to run.
                    let id = c.ids[rng.below(c.ids.count)]
                    if c.down.contains(id) { c.restart(id) } else if c.down.count < (voters.count - 1) / 2 { c.crash(id) }
                case 8:
                    if rng.below(2) == 0 { c.isolate(c.ids[rng.below(c.ids.count)]) } else { c.heal() }
                case 9:
                    if let l = c.leader, c.ids.count < 7 {
                        let id = "n\(nextNode)"
                        if (try? c.proposeConfChange(l, .addLearner(id, address: ""))) != nil {
                            c.addNode(id)
                            nextNode += 1
                        }
                    }
                case 10:
                    if let l = c.leader, let learner = c[l].membership.learners.first {
                        _ = try? c.proposeConfChange(l, .promote(learner))
                    }
                case 11:
                    if let l = c.leader, voters.count > 3 {
                        _ = try? c.proposeConfChange(l, .remove(voters[rng.below(voters.count)]))
                    }
                default:
                    break
                }
                c.tick(deliver: false)
                c.deliverChaotically(&rng, lossPercent: 8, duplicatePercent: 8)
            }
            c.heal()
            for id in c.down.sorted() { c.restart(id) }
            c.tick(until: { $0.leader != nil }, within: 30 * Self.E)
            c.tickAll(6 * Self.E)
            let leader = try #require(c.leader)
            try c.propose(leader, "final")
            c.stabilize()
            c.tickAll(3 * Self.E)
            #expect(nextNode > 4, "the story added nodes")
            for id in c[leader].membership.ids {
                #expect(c.machines[id] == c.machines[leader], "\(id) differs from \(leader)")
            }
            #expect(c.values(leader).last == "final")
            c.checkLogMatching()
        }
    }
}

/// A small seeded generator for the randomized stories (SplitMix64).
struct TestRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
