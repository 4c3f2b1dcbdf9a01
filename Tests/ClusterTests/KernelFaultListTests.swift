import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// What is broken now (`F`) on a cluster whose members are hosts of a namespace lab: the
/// kernel's cuts, one-way cuts, loss and delays reach the console's feed as the members' fault
/// lines (so the Reach matrix, the `✂ cut` rows and the fault list show them), with who set them;
/// undoing one cut removes that cut only, in the kernel and in the nodes' own filter alike.
@Suite("Kernel faults in the fault list", .serialized)
struct KernelFaultListTests {
    static let reason: Comment = "needs root, iproute2, nft, iptables-nft and a kernel with NFQUEUE; .ci/run installs them and runs as root"

    /// The newest snapshot of `engine`'s console feed in which `holds` is true, within 15 s.
    static func feed(_ engine: any Engine, until holds: (ClusterSnapshot) -> Bool) async -> ClusterSnapshot? {
        let deadline = ContinuousClock.now + .seconds(15)
        var last: ClusterSnapshot?
        for await s in engine.snapshots(every: .milliseconds(200)) {
            last = s
            if holds(s) || ContinuousClock.now >= deadline { break }
        }
        return last
    }

    /// Partition {a} | {b, c} (two cuts), a one-way cut c->b (100% loss), 10% loss and a 30 ms
    /// kernel delay on b->c: each is one entry of the fault list, set by whoever asked; the
    /// members' drops show the cuts; `u` on the cut a<->b mends it alone and says what stays.
    @Test(.enabled(reason) { await PacketDelays.unavailableReason() == nil }, .timeLimit(.minutes(5)), arguments: EngineUnderTest.allCases)
    func kernelFaultsAreListedWithWhoSetThemAndUndoingOneCutMendsOnlyThatCut(_ kind: EngineUnderTest) async throws {
        try await withEngineInLab(kind) { engine, lab in
            try await withHangGuard(.seconds(60)) {
                let (s, _) = await engine.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
                let ids = s.nodes.map(\.id).sorted()
                let (a, b, c) = (ids[0], ids[1], ids[2])
                let performer = CommandPerformer(engine: engine, healTimeout: .seconds(15))
                try await ActionOrigin.$current.withValue("key p") {
                    _ = try await performer.perform(.partition(shape: .groups(sides: [[a], [b, c]])))
                }
                try await ActionOrigin.$current.withValue("command") {
                    _ = try await performer.perform(.loss(links: .oneWay(from: c, to: b), share: Share(fraction: 1)))
                    _ = try await performer.perform(.loss(links: .oneWay(from: b, to: c), share: Share(fraction: 0.1)))
                    _ = try await performer.perform(.delay(links: .oneWay(from: b, to: c), delay: TimeSpan(milliseconds: 30), jitter: TimeSpan(milliseconds: 0)))
                }

                let expected = ["cut \(a)<->\(b)", "cut \(a)<->\(c)", "one-way cut \(c)->\(b)", "link \(b)->\(c): delay 30ms loss 10%"]
                let shown = await Self.feed(engine) { s in
                    let summaries = FaultLedger.entries(s, events: engine.events.recent).map(\.summary)
                    return expected.allSatisfy(summaries.contains)
                }
                let snapshot = try #require(shown, "\(kind): the feed gave a snapshot")
                let entries = FaultLedger.entries(snapshot, events: engine.events.recent)
                for e in expected { #expect(entries.map(\.summary).contains(e), "\(kind): \(e) in \(entries.map(\.summary))") }
                // The Reach matrix and the `✂ cut` rows read the members' drops.
                #expect(snapshot.node(a)?.live?.faults.drop == [b, c], "\(kind): \(a)'s drops \(snapshot.node(a)?.live?.faults.drop ?? [])")
                #expect(snapshot.node(c)?.live?.faults.drop == [a, b], "\(kind): \(c)'s drops \(snapshot.node(c)?.live?.faults.drop ?? [])")
                let cut = try #require(entries.first { $0.target == "\(a)<->\(b)" })
                #expect(cut.setBy == "key p" && cut.setAt != nil, "\(kind): \(cut)")
                #expect(entries.first { $0.target == "\(c)->\(b)" }?.setBy == "command", "\(kind): \(entries)")
                #expect(entries.first { $0.target == "\(b)->\(c)" }?.setBy == "command", "\(kind): \(entries)")

                // `u` on the cut a<->b: its undo, carried out as the console does.
                for command in cut.undo { _ = try await performer.perform(command) }
                let rules = try await KernelFaults(lab: lab).rules()
                #expect(Set(rules.map(\.description)) == ["cut \(a)->\(c)", "cut \(c)->\(a)", "cut \(c)->\(b)", "loss \(b)->\(c) 10%"],
                        "\(kind): only the cut \(a)<->\(b) is gone: \(rules)")
                let event = engine.events.recent.last { $0.action?.verb == "mend" }
                #expect(event?.ok == true && event?.message.contains("removed the cut \(a)<->\(b)") == true
                        && event?.message.contains("the other cuts stay: \(a)<->\(c) \(c)->\(b)") == true, "\(kind): \(event?.message ?? "no mend event")")

                let heal = try await performer.perform(.heal)
                #expect(heal.ok, "\(kind): \(heal.message)")
            }
        }
    }

    /// etcd in a lab takes delay and reorder through NFQUEUE, as Flotilla's nodes do: a 100 ms
    /// delay on every link of the leader holds each put above 100 ms, the releaser reports
    /// packets released, and heal leaves no queue rule.
    @Test(.enabled(reason) { await PacketDelays.unavailableReason() == nil }, .timeLimit(.minutes(5)))
    func etcdInALabTakesKernelDelayAndReorder() async throws {
        try await withEngineInLab(.etcd) { engine, lab in
            try await withHangGuard(.seconds(60)) {
                let etcd = try #require(engine as? EtcdEngine)
                let (s, _) = await etcd.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
                let leader = try #require(s.leader)
                func fastestPut() async throws -> Duration {
                    var fastest = Duration.seconds(3600)
                    for i in 0..<10 {
                        let start = ContinuousClock.now
                        try await etcd.client.put(leader.adminAddress, key: "k\(i)", value: "v", timeout: .seconds(5))
                        fastest = min(fastest, ContinuousClock.now - start)
                    }
                    return fastest
                }
                let quiet = try await fastestPut()
                let performer = CommandPerformer(engine: etcd, healTimeout: .seconds(15))
                #expect(etcd.refusal(.delay(links: .node(leader.id), delay: TimeSpan(milliseconds: 100), jitter: TimeSpan(milliseconds: 0))) == nil)
                _ = try await performer.perform(.delay(links: .node(leader.id), delay: TimeSpan(milliseconds: 100), jitter: TimeSpan(milliseconds: 0)))
                _ = try await performer.perform(.reorder(links: .node(leader.id), share: Share(fraction: 0.2)))
                let delays = try #require(etcd.packetDelays)
                let rules = try await delays.rules()
                #expect(rules.count == 4 && rules.allSatisfy { $0.delayMs == 100 && $0.reorderPercent == 20 }, "\(rules)")
                let delayed = try await fastestPut()
                #expect(delayed >= .milliseconds(100), "quiet \(quiet), delayed \(delayed)")
                #expect((delays.stats()?.released ?? 0) > 0, "\(String(describing: delays.stats()))")
                let heal = try await performer.perform(.heal)
                #expect(heal.ok, "\(heal.message)")
                #expect(try await delays.leftovers() == [])
                print("etcd, fastest of 10 puts: quiet \(quiet), kernel delay 100 ms on the leader's links \(delayed)")
                _ = lab
            }
        }
    }
}

/// Undoing one cut on Flotilla's nodes on loopback (their own filter): the other cuts stay, on
/// each node that holds a share of them, and the event says which.
@Suite("Mending one cut in the nodes' filter")
struct FilterMendTests {
    // The hang guard starts inside the cluster slot: in the full suite the wait for one can pass a minute.
    @Test func undoingOneCutOfAPartitionLeavesTheOthers() async throws {
        try await withEngine(.flotilla) { engine in try await withHangGuard(.seconds(90)) {
            let flotilla = try #require(engine as? FlotillaEngine)
            let performer = CommandPerformer(engine: flotilla, healTimeout: .seconds(10))
            _ = try await performer.perform(.partition(shape: .groups(sides: [["n1"], ["n2", "n3"]])))
            var s = await flotilla.snapshot()
            let cut = try #require(FaultLedger.entries(s).first { $0.target == "n1<->n2" }, "\(FaultLedger.entries(s))")
            for command in cut.undo { _ = try await performer.perform(command) }
            s = await flotilla.snapshot()
            #expect(FaultLedger.entries(s).map(\.summary).filter { $0.contains("cut") } == ["cut n1<->n3"], "\(FaultLedger.entries(s))")
            let event = flotilla.events.recent.last { $0.action?.verb == "mend" }
            #expect(event?.message.contains("removed the cut n1<->n2") == true && event?.message.contains("the other cuts stay: n1<->n3") == true,
                    "\(event?.message ?? "no mend event")")

            // One way: n1's messages to n2 and n3 are dropped; mending n1->n2 leaves n1->n3.
            _ = try await performer.perform(.partition(shape: .oneWay(from: ["n1"], to: ["n2", "n3"])))
            _ = try await performer.perform(.mend(links: .oneWay(from: "n1", to: "n2")))
            s = await flotilla.snapshot()
            #expect(FaultLedger.entries(s).map(\.summary).filter { $0.contains("cut") } == ["one-way cut n1->n3"], "\(FaultLedger.entries(s))")
            #expect(try await performer.perform(.heal).ok)
        } }
    }
}
