import Foundation
import Testing
@testable import Orchestrator

/// What `disk` says on an etcd cluster it cannot fill: one made without tmpfs disks (as without
/// root) refuses `disk N full` saying mounting needs root, and `disk N slow` is refused on any
/// etcd cluster saying why. Only `etcd.json` is written: no member is started.
@Suite("Disk refusals on etcd")
struct EtcdDiskRefusalTests {
    func cluster(disks: Bool) throws -> (EtcdLocalCluster, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-refusal-\(UUID().uuidString.prefix(8))").path
        let cluster = EtcdLocalCluster(directory: dir, executable: "/bin/false")
        _ = try cluster.create(members: 3, disks: disks)
        return (cluster, dir)
    }

    @Test func aClusterWithoutDisksRefusesDiskFullSayingRootIsNeeded() async throws {
        let (cluster, dir) = try cluster(disks: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = EtcdEngine(local: cluster)
        defer { Task { await engine.shutdown() } }
        #expect(try cluster.load().members.allSatisfy { $0.disk == nil && $0.dataDir == "\(cluster.directory)/\($0.name)/data" })
        let full = try #require(engine.refusal(.disk(node: .node("e1"), fault: .full)))
        #expect(full.contains("tmpfs") && full.contains("root"), "\(full)")
        #expect(engine.refusal(.disk(node: .all, fault: .ok)) != nil)
        let slow = try #require(engine.refusal(.disk(node: .node("e1"), fault: .slow(ms: 50))))
        #expect(slow.contains("dm-delay") && slow.contains("disk NAME full"), "\(slow)")
        #expect(engine.refusal(.replace(node: "e1")) == nil, "replace needs no disk")
    }

    @Test(.enabled(if: geteuid() == 0, "mounting a tmpfs needs root"))
    func aClusterMadeAsRootHasADiskPerMemberAndTakesDiskFull() async throws {
        let (cluster, dir) = try cluster(disks: true)
        defer {
            cluster.killAllNow()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let spec = try cluster.load()
        #expect(spec.members.allSatisfy { $0.disk?.isMounted == true }, "\(spec.members.map(\.disk))")
        let engine = EtcdEngine(local: cluster)
        defer { Task { await engine.shutdown() } }
        #expect(engine.refusal(.disk(node: .node("e1"), fault: .full)) == nil)
        #expect(engine.refusal(.disk(node: .node("e1"), fault: .slow(ms: 50))) != nil)
        cluster.killAllNow()
        #expect(EtcdMemberDisk.mounts().allSatisfy { !$0.point.hasPrefix(cluster.directory) }, "killAllNow unmounts every disk")
    }
}
