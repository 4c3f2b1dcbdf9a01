import BinaryCoding
import ClusterRules
import NodeCore
import RaftCore
import Testing
import TestSupport
@testable import Simulation

/// The faults a live cluster can be given beyond partitions and crashes: slow or flaky links,
/// slow disks, skewed clocks. Each one's effect is measured, then the cluster is run under them.
@Suite("Slow links, slow disks, skewed clocks")
struct SlowFaultTests {
    static let newFaults: [Fault] = [.slowLink, .slowDisk, .clockSkew]

    // MARK: - Slow links

    struct Delivery {
        var from: Endpoint
        var to: Endpoint
        var request: UInt64
        var delay: UInt64
    }

    /// Sends one packet a tick on each link for `ticks` ticks, then drains the network.
    /// Every packet must come out of the queue at exactly the tick it was due.
    static func drive(_ net: inout SimNetwork, links: [(Endpoint, Endpoint)], ticks: Int) -> [Delivery] {
        var sentAt: [UInt64: UInt64] = [:]
        var out: [Delivery] = []
        var request: UInt64 = 0
        var now: UInt64 = 0
        var misdelivered = 0
        while now < UInt64(ticks + PacketQueue.span) {
            now += 1
            for p in net.due(now: now) {
                if p.deliverAt != now { misdelivered += 1 }
                guard case let .clientSubmit(_, r) = p.payload else { continue }
                out.append(Delivery(from: p.from, to: p.to, request: r, delay: now - sentAt[r]!))
            }
            guard now <= UInt64(ticks) else { continue }
            for (a, b) in links {
                request += 1
                sentAt[request] = now
                net.send(from: a, to: b, now: now, .clientSubmit(key: "", request: request))
            }
        }
        #expect(misdelivered == 0, "packets delivered at another tick than they were due")
        #expect(net.queue.isEmpty)
        return out
    }

    static func on(_ d: [Delivery], _ from: Endpoint, _ to: Endpoint) -> [Delivery] {
        d.filter { $0.from == from && $0.to == to }
    }

    /// Packets later delivered than a packet sent after them, on one link.
    static func overtaken(_ d: [Delivery]) -> Int {
        var highest: UInt64 = 0
        var count = 0
        for x in d {
            if x.request < highest { count += 1 }
            highest = max(highest, x.request)
        }
        return count
    }

    /// A slow, lossy link 0 -> 1: its packets come late by the delay asked and about the share
    /// asked is lost; the reverse link, other links and the client's traffic are untouched; a heal ends it.
    @Test func slowLinkDelaysAndLosesItsShareOnThatLinkOnly() {
        var net = SimNetwork(rng: SplitMix64(seed: 9), dropRate: 0, duplicateRate: 0, maxDelay: 3)
        net.setFault(LinkFault(delay: 10, jitter: 2, loss: 0.3), from: 0, to: 1)
        let c = SimNetwork.client
        let n = 2000
        let d = Self.drive(&net, links: [(0, 1), (1, 0), (0, 2), (c, 1), (1, c)], ticks: n)

        let slow = Self.on(d, 0, 1)
        let share = Double(slow.count) / Double(n)
        #expect((0.65...0.75).contains(share), "the slow link delivered \(share) of its packets; 0.7 asked")
        #expect(slow.allSatisfy { (9...15).contains($0.delay) }, "1...3 ticks plus 10 ± 2")
        let mean = Double(slow.map(\.delay).reduce(0, +)) / Double(slow.count)
        #expect((11.5...12.5).contains(mean), "mean delay \(mean)")

        for (a, b) in [(1, 0), (0, 2), (c, 1), (1, c)] {
            let healthy = Self.on(d, a, b)
            #expect(healthy.count == n, "\(a)->\(b) lost packets")
            #expect(healthy.allSatisfy { (1...3).contains($0.delay) }, "\(a)->\(b) was slowed")
        }

        net.heal()
        #expect(net.fault(from: 0, to: 1) == nil)
        let after = Self.on(Self.drive(&net, links: [(0, 1)], ticks: 500), 0, 1)
        #expect(after.count == 500)
        #expect(after.allSatisfy { (1...3).contains($0.delay) })
    }

    /// Duplication sends about the share asked twice; reordering lets later packets overtake
    /// on a link whose delay is otherwise fixed.
    @Test func slowLinkDuplicatesAndReorders() {
        // maxDelay 1: every healthy packet takes exactly one tick, so any reordering is the fault's.
        var net = SimNetwork(rng: SplitMix64(seed: 5), dropRate: 0, duplicateRate: 0, maxDelay: 1)
        net.setFault(LinkFault(delay: 5), from: 0, to: 1)
        net.setFault(LinkFault(delay: 5, duplicate: 0.5), from: 0, to: 2)
        net.setFault(LinkFault(delay: 5, reorder: 0.3), from: 0, to: 3)
        let n = 2000
        let d = Self.drive(&net, links: [(0, 1), (0, 2), (0, 3)], ticks: n)

        let fixed = Self.on(d, 0, 1)
        #expect(fixed.count == n)
        #expect(fixed.allSatisfy { $0.delay == 6 })
        #expect(Self.overtaken(fixed) == 0)

        let doubled = Double(Self.on(d, 0, 2).count) / Double(n)
        #expect((1.45...1.55).contains(doubled), "\(doubled) copies per packet; 1.5 asked")

        let reordered = Self.on(d, 0, 3)
        #expect(reordered.count == n)
        let held = reordered.filter { $0.delay > 6 }.count
        #expect((500...700).contains(held), "\(held) of \(n) held back; 0.3 asked")
        #expect(reordered.allSatisfy { (6...13).contains($0.delay) })
        #expect(Self.overtaken(reordered) > 400)
    }

    /// Delays beyond the old 64-tick ring still arrive at exactly their tick, capped below the ring's span.
    @Test func longDelaysNeverWrapTheRing() {
        var net = SimNetwork(rng: SplitMix64(seed: 3), dropRate: 0, duplicateRate: 0, maxDelay: 60)
        net.setFault(LinkFault(delay: 180, jitter: 60, reorder: 0.5), from: 0, to: 1)
        let d = Self.on(Self.drive(&net, links: [(0, 1)], ticks: 1000), 0, 1)
        #expect(d.count == 1000)
        #expect(d.contains { $0.delay > 64 })
        #expect(d.allSatisfy { $0.delay < UInt64(PacketQueue.span) })
        #expect(d.contains { $0.delay == UInt64(PacketQueue.span - 1) }, "the cap was reached")
    }

    /// A quiet cluster of `nodes` past its first election.
    static func settled(seed: UInt64, nodes: Int = 3) throws -> (sim: ClusterSimulation, leader: String, followers: [String]) {
        var config = SimulationConfig(seed: seed)
        config.nodes = nodes
        config.faults = false
        config.keepTrace = true
        var sim = ClusterSimulation(config: config)
        for _ in 0..<150 { sim.step() }
        let leader = try #require(sim.currentLeader)
        let followers = sim.upNodes.filter { $0 != leader }
        #expect(followers.allSatisfy { sim.nodes[$0].core.raft.role == .follower })
        return (sim, leader, followers)
    }

    /// Per node, the mean over `ticks` ticks of how far its applied index trails the leader's commit.
    static func meanLag(_ sim: inout ClusterSimulation, of ids: [String], ticks: Int) -> [Double] {
        var sums = Array(repeating: 0.0, count: ids.count)
        for _ in 0..<ticks {
            sim.step()
            guard let l = sim.currentLeader else { continue }
            let commit = sim.nodes[l].core.raft.commitIndex
            for (k, id) in ids.enumerated() { sums[k] += Double(commit - min(commit, sim.nodes[id].core.applied)) }
        }
        return sums.map { $0 / Double(ticks) }
    }

    /// In a running cluster, a follower behind slow links applies later than one on healthy links,
    /// and the nemesis's own slow link shows in the trace and ends at the heal.
    @Test func slowLinksMakeAFollowerLag() throws {
        var (sim, _, followers) = try Self.settled(seed: 21)
        let (f, g) = (followers[0], followers[1])
        let others = sim.liveMembers.filter { $0 != f }
        sim.slowLinks(others.flatMap { [DirectedLink($0, f), DirectedLink(f, $0)] }, LinkFault(delay: 12, jitter: 3), "of \(f)")
        let lag = Self.meanLag(&sim, of: [f, g], ticks: 300)
        #expect(lag[0] > 3 * lag[1], "slow \(f) trails by \(lag[0]), healthy \(g) by \(lag[1])")
        sim.healAll()
        #expect(others.allSatisfy { sim.network.fault(from: sim.endpoint($0), to: sim.endpoint(f)) == nil })

        let injected = sim.inject(.slowLink)
        #expect(injected)
        #expect(sim.traceLines.last?.contains("slow link") == true, "\(sim.traceLines.suffix(1))")
        let pairs = sim.liveMembers.flatMap { a in sim.liveMembers.map { (a, $0) } }
        #expect(pairs.contains { sim.network.fault(from: sim.endpoint($0.0), to: sim.endpoint($0.1)) != nil })
        sim.healAll()
        #expect(!pairs.contains { sim.network.fault(from: sim.endpoint($0.0), to: sim.endpoint($0.1)) != nil })
    }

    // MARK: - Slow disk

    /// A slow-disk follower processes a batch only once every k ticks, and so trails the leader;
    /// the fault survives a restart (it is the disk's) and ends at the heal.
    @Test func slowDiskProcessesOnlyEveryKTicks() throws {
        var (sim, _, followers) = try Self.settled(seed: 31)
        let (f, g) = (followers[0], followers[1])
        let k = 8
        sim.slowDisk(f, every: k)
        #expect(sim.traceLines.last?.hasSuffix("slow disk \(f) every \(k) ticks") == true)
        let before = (sim.nodes[f].batches, sim.nodes[g].batches)
        let ticks = 240
        let lag = Self.meanLag(&sim, of: [f, g], ticks: ticks)
        let slowBatches = sim.nodes[f].batches - before.0
        let healthyBatches = sim.nodes[g].batches - before.1
        // One more when a batch deferred the tick before the fault reached the disk at once.
        #expect((ticks / k...ticks / k + 1).contains(slowBatches), "\(f) processed \(slowBatches) batches in \(ticks) ticks")
        #expect(healthyBatches >= ticks - 2, "\(g) processed \(healthyBatches) batches in \(ticks) ticks")
        #expect(lag[0] > 2 * lag[1], "slow-disk \(f) trails by \(lag[0]), healthy \(g) by \(lag[1])")

        sim.crash(f)
        sim.restart(f)
        #expect(sim.nodes[f].slowDiskTicks == k, "a restarted node keeps its slow disk")
        let afterRestart = sim.nodes[f].batches
        for _ in 0..<(4 * k) { sim.step() }
        #expect((4...5).contains(sim.nodes[f].batches - afterRestart))

        sim.healAll()
        #expect(sim.nodes[f].slowDiskTicks == 0)
        let healed = sim.nodes[f].batches
        for _ in 0..<40 { sim.step() }
        #expect(sim.nodes[f].batches - healed >= 38)
    }

    // MARK: - Clock skew

    /// Ticks until an isolated follower (of a settled 3-node cluster) starts an election.
    static func ticksUntilCampaign(_ skew: ClockSkew?) throws -> Int {
        var (sim, _, followers) = try settled(seed: 11)
        let f = followers[0]
        if let skew { sim.skewClock(f, skew) }
        for o in sim.liveMembers where o != f {
            sim.network.cut(from: sim.endpoint(f), to: sim.endpoint(o))
            sim.network.cut(from: sim.endpoint(o), to: sim.endpoint(f))
        }
        for t in 1...1000 {
            sim.step()
            if sim.nodes[f].core.raft.role != .follower { return t }
        }
        return Int.max
    }

    /// An isolated follower times out after its election timeout (30...60 ticks): sooner when
    /// its clock runs fast, later when it runs slow.
    @Test func skewedClocksTimeOutSoonerOrLater() throws {
        let normal = try Self.ticksUntilCampaign(nil)
        let fast = try Self.ticksUntilCampaign(.fast(4))
        let slow = try Self.ticksUntilCampaign(.slow(4))
        #expect((15...60).contains(normal), "true clock: \(normal) ticks")
        #expect(fast <= 15, "4x fast: \(fast) ticks")
        #expect(slow > 60 && slow <= 244, "1/4 speed: \(slow) ticks")
        #expect(fast < normal && normal < slow)
    }

    /// A skewed clock shows in the trace, survives a restart (it is the host's) and ends at the heal.
    @Test func clockSkewIsNotedKeptAndHealed() throws {
        var (sim, _, followers) = try Self.settled(seed: 41)
        let f = followers[0]
        sim.skewClock(f, .fast(3))
        #expect(sim.traceLines.last?.hasSuffix("clock of \(f) runs 3x fast") == true)
        let start = sim.nodes[f].core.ticks
        for _ in 0..<10 { sim.step() }
        #expect(sim.nodes[f].core.ticks - start == 30)
        #expect(sim.nodes[f].core.nowMs == sim.now * 10, "the wall clock stays true")
        sim.skewClock(f, .slow(3))
        #expect(sim.traceLines.last?.hasSuffix("clock of \(f) runs 1/3 speed") == true)
        let slowStart = sim.nodes[f].core.ticks
        for _ in 0..<30 { sim.step() }
        #expect(sim.nodes[f].core.ticks - slowStart == 10)
        sim.crash(f)
        sim.restart(f)
        #expect(sim.nodes[f].clock == .slow(3))
        sim.healAll()
        #expect(sim.nodes[f].clock == nil)
    }

    // MARK: - The cluster under the new faults

    /// Seeds with only the new faults: every invariant holds, no acknowledged submit is lost or
    /// doubled, and the cluster recovers once they heal.
    @Test func twentySeedsUnderSlowFaultsKeepEveryInvariant() async {
        var template = SimulationConfig(seed: 1)
        template.onlyFaults = Self.newFaults
        // Half the default steps at twice the default fault rate: as many faults, in half the time.
        template.steps = 1000
        template.faultRate = 0.02
        await expectEverySeedHolds(1...20, template, extra: " with onlyFaults \(Self.newFaults)")
    }

    /// The same seed gives the same run with the new faults on, and each of them is injected.
    @Test func slowFaultsAreDeterministicAndExercised() {
        var config = SimulationConfig(seed: 77)
        config.steps = 1500
        config.onlyFaults = Self.newFaults
        config.faultRate = 0.05
        config.faultTicks = 30...120
        var a = ClusterSimulation(config: config)
        var b = ClusterSimulation(config: config)
        let ra = a.run(), rb = b.run()
        #expect(ra.passed, "\(ra.violations) \(ra.livenessFailure ?? "")")
        #expect(ra.traceHash == rb.traceHash)
        #expect(ra.stats == rb.stats)
        #expect(ra.stats.slowLinks > 0)
        #expect(ra.stats.slowDisks > 0)
        #expect(ra.stats.clockSkews > 0)
        #expect(ra.stats.crashes == 0 && ra.stats.transfers == 0, "only the new faults were drawn")
        config.seed = 78
        var c = ClusterSimulation(config: config)
        #expect(c.run().traceHash != ra.traceHash)
    }
}
