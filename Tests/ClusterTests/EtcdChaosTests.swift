import Foundation
import Orchestrator
import Testing
import TestSupport

/// `flotilla chaos --engine etcd`: the same nemesis and checks in a session on a local etcd
/// cluster, drawing only the faults etcd takes; it ends with its report, breaks no invariant,
/// keeps etcd's own workload linearizable, and stops every member.
@Suite("Chaos on etcd",
       .enabled(if: EtcdLocalCluster.etcdOnPath() != nil, "etcd is not on PATH (Debian: apt-get install etcd-server; CI installs it)"))
struct EtcdChaosTests {
    @Test(.timeLimit(.minutes(5)))
    func aChaosRunOnEtcdEndsWithAReportAndNoViolation() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-chaos-\(UUID().uuidString.prefix(8))").path
        let cluster = EtcdLocalCluster(directory: dir, executable: "etcd")
        defer {
            cluster.killAllNow()
            try? FileManager.default.removeItem(atPath: dir)
        }
        defer {
            let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
            #expect(!mounts.contains(dir), "nothing of the run stays mounted: \(mounts)")
        }
        // The nodes share two cores with the rest of the suite: the leader's return is held to
        // 8 s, not 2 (a cluster that does not recover still fails it); safety is as strict as ever.
        let r = try await withClusterSlot {
            try await flotilla(["chaos", "--engine", "etcd", "--nodes", "3", "--duration", "20s", "--seed", "2", "--liveness", "8s",
                                "--dir", dir, "--verbose"])
        }
        let explain = "\(r.out)\n\(r.err)"
        let last = r.out.split(separator: "\n").last.map(String.init) ?? ""
        #expect(r.code == 0, "\(explain)")
        #expect(last.hasPrefix("chaos: seed=2 faults=") && last.contains(" violations=0 ") && last.hasSuffix(" linearizable=ok"), "\(explain)")
        let injected = last.split(separator: " ").first { $0.hasPrefix("faults=") }.flatMap { Int($0.dropFirst("faults=".count)) } ?? 0
        #expect(injected >= 3, "the nemesis broke the cluster: \(explain)")
        #expect(r.out.contains("left out partition:") && r.out.contains("left out skew:"), "faults etcd refuses are left out, with the reason: \(explain)")
        // As root each member's data is on a tmpfs of its own, and disk full is drawn; without root it is left out, saying why.
        #expect(r.out.contains("left out disk:") == (geteuid() != 0), "\(explain)")
        #expect(!r.out.contains("disk of e") || r.out.contains("filler deleted"), "a full disk drawn is emptied again: \(explain)")
        #expect(!r.out.contains(" slow "), "etcd draws no slow disk: \(explain)")
        #expect(!r.err.contains("skipped "), "every fault drawn was one etcd takes: \(explain)")
        #expect(try cluster.load().members.allSatisfy { cluster.pid(of: $0) == nil }, "the run stopped its members")
    }
}
