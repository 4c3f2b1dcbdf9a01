import Foundation
import Orchestrator
import Testing
import TestSupport

/// The console on a local etcd cluster, in tmux, through the same engine seam as Flotilla's nodes.
@Suite("The console on etcd, in a terminal", .serialized, .timeLimit(.minutes(5)),
       .enabled(if: EtcdLocalCluster.etcdOnPath() != nil, "etcd is not on PATH (Debian: apt-get install etcd-server; CI installs it)"))
struct EtcdConsoleTests {
    /// The leader's name in the console header (`leader e2`).
    func etcdLeader(_ screen: String) -> String? {
        guard let line = screen.split(separator: "\n").first, let r = line.range(of: "leader e") else { return nil }
        return String(line[line.index(r.upperBound, offsetBy: -1)...].prefix { $0.isLetter || $0.isNumber })
    }

    @Test func killingTheLeaderWithKShowsANewOneLinkFaultsAreRefusedWithAReasonAndLRunsALoad() async throws {
        try await withClusterSlot {
            let tmux = Tmux()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-console-\(UUID().uuidString.prefix(8))").path
            let cluster = EtcdLocalCluster(directory: dir, executable: "etcd")
            defer {
                tmux.kill()
                cluster.killAllNow()
                try? FileManager.default.removeItem(atPath: dir)
            }
            let up = try await flotilla(["up", "--engine", "etcd", "--nodes", "3", "--dir", dir])
            #expect(up.code == 0, "\(up.err)")
            let command = "\(LocalCluster.executable) console --no-confirm --dir \(dir); echo EXITED:$?; sleep 60"
            try await tmux.run(["new-session", "-d", "-s", "console", "-x", "160", "-y", "45", command])

            // A frame reaches the terminal a line at a time: wait for every row, not only the header.
            let first = try await tmux.waitFor("an etcd leader and three rows to show") { s in
                etcdLeader(s) != nil && memberRows(s, prefix: "e").count == 3
            }
            let leader = try #require(etcdLeader(first))
            let rows = memberRows(first, prefix: "e")
            let index = try #require(rows.firstIndex { $0.dropFirst(2).hasPrefix("\(leader) ") })
            for _ in 0..<index { try await tmux.keys("j") }
            try await tmux.keys("k")
            let after = try await tmux.waitFor("a new etcd leader after killing \(leader)") { s in
                etcdLeader(s).map { $0 != leader } ?? false
            }
            #expect(after.contains("kill \(leader): SIGKILL"), "\(after)")

            try await tmux.keys("p")
            try await tmux.waitFor("the partition refused with its reason") { $0.contains("kernel link faults") }

            // The load: puts and range reads of its keys, checked when it stops.
            #expect(after.contains("this engine has no task queue"), "\(after)")
            try await tmux.keys("l")
            try await tmux.waitFor("the load on etcd, as puts") { $0.contains("puts/s + 5 reads/s") && $0.contains("load 15 writes/s") }
            try await tmux.keys("l")
            let checked = try await tmux.waitFor("the load's history checked") { $0.contains("linearizability: ") }
            #expect(checked.contains("linearizability: ok"), "\(checked)")

            try await tmux.keys("q")
            let exited = try await tmux.waitFor("the console to quit") { $0.contains("EXITED:") }
            #expect(exited.contains("EXITED:0"))
            let spec = try cluster.load()
            #expect(spec.members.filter { cluster.pid(of: $0) != nil }.count == 2, "quitting leaves the cluster as it was")
        }
    }
}
