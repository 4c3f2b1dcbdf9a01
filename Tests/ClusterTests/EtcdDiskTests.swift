import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// A full disk under an etcd member and `replace` on etcd, through the same `perform` as
/// Flotilla's nodes. Each member's data dir is on a tmpfs the launch mounts (root only): `disk
/// NAME full` fills it, etcd exits at its next database commit, `disk NAME ok` empties it and
/// starts the member again, and nothing stays mounted after the teardown.
@Suite("Disk faults and replace on etcd", .serialized,
       .enabled(if: EtcdLocalCluster.etcdOnPath() != nil, "etcd is not on PATH (Debian: apt-get install etcd-server; CI installs it)"),
       .enabled(if: geteuid() == 0, "each etcd member's tmpfs is mounted by the launch, which needs root; CI runs as root"))
struct EtcdDiskTests {
    /// Launches three members in a fresh directory named after `purpose`, runs `body`, and tears
    /// down however it ends; then nothing under the directory is left in `/proc/mounts`.
    func withEtcd(_ purpose: String, memberArgs: [String] = [], _ body: @escaping @Sendable (EtcdEngine) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-\(purpose)-\(UUID().uuidString.prefix(8))").path
        try await withClusterSlot {
            let etcd = try await EtcdEngine.launch(members: 3, in: dir, memberArgs: memberArgs, within: .seconds(30))
            defer {
                etcd.local?.killAllNow()
                try? FileManager.default.removeItem(atPath: dir)
            }
            do {
                try await withHangGuard(.seconds(90)) { try await body(etcd) }
            } catch {
                await etcd.tearDown(removing: true)
                #expect(Self.mounted(under: dir) == [], "a failing body still unmounts every tmpfs")
                throw error
            }
            await etcd.tearDown(removing: true)
        }
        #expect(Self.mounted(under: dir) == [], "nothing of the run stays mounted")
    }

    /// The lines of `/proc/mounts` naming `dir`.
    static func mounted(under dir: String) -> [String] {
        let text = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains(dir) }
    }

    @Test(.timeLimit(.minutes(5)))
    func aFullDiskEndsTheMemberAndOkBringsItBack() async throws {
        try await withEtcd("disk") { etcd in
            let local = try #require(etcd.local)
            let spec = try local.load()
            #expect(spec.members.allSatisfy { $0.disk?.isMounted == true && $0.dataDir.hasPrefix($0.disk!.mountPoint) },
                    "every member's data is on its own tmpfs: \(spec.members.map(\.dataDir))")
            #expect(spec.members.allSatisfy { m in Self.mounted(under: local.directory).contains { $0.hasPrefix(spec.clusterToken) && $0.contains("/\(m.name)/disk ") } },
                    "each mount is named after the run: \(Self.mounted(under: local.directory))")
            let (s, _) = await etcd.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
            let leader = try #require(s.leader)
            let victim = try #require(s.live.map(\.id).sorted().first { $0 != leader.id })
            let member = try #require(spec.member(victim))
            let performer = CommandPerformer(engine: etcd)

            let full = try await performer.perform(.disk(node: .node(victim), fault: .full))
            #expect(full.message.contains("filled"), "\(full.message)")
            #expect(member.disk?.freeBytes == 0, "the tmpfs has no byte left")
            let marked = await etcd.snapshot()
            #expect(marked.node(victim)?.live?.faults.diskFull == true || marked.node(victim)?.up == false,
                    "the member's fault line says its disk is full: \(marked.report())")

            // Writes through the member: the leader commits them, and the member exits when it
            // applies one its database cannot grow for (before or after it answers).
            try await eventually("\(victim) ends on its full disk", timeout: .seconds(20), poll: .milliseconds(100)) {
                _ = try? await etcd.client.put(member.clientAddress, key: "full-\(UUID().uuidString)", value: "x", timeout: .seconds(2))
                return local.pid(of: member) == nil
            }
            await #expect(throws: (any Error).self, "a write through the member fails once it has ended") {
                try await etcd.client.put(member.clientAddress, key: "refused", value: "x", timeout: .seconds(2))
            }
            let (dead, saw) = await etcd.wait(for: .seconds(5)) { $0.node(victim)?.death != nil }
            #expect(saw, "\(dead.report())")
            #expect(dead.node(victim)?.death?.reason.contains("no space left on device") == true, "\(dead.report())")
            #expect(dead.notes().contains { $0.hasPrefix("\(victim) died: ") && $0.contains("no space left on device") }, "\(dead.report())")

            let ok = try await performer.perform(.disk(node: .node(victim), fault: .ok))
            #expect(ok.message.contains("filler deleted") && ok.message.contains("started again"), "\(ok.message)")
            #expect(member.disk?.isFull == false)
            let (healed, one) = await etcd.wait(for: .seconds(20)) { s in
                guard let l = s.leader else { return false }
                return s.live.count == 3 && s.live.allSatisfy { $0.leader == l.id } && s.live.filter { $0.role == .leader }.count == 1
            }
            #expect(one, "one leader all three follow: \(healed.report())")
            #expect(healed.node(victim)?.live?.faults.diskFull == false)
            try await etcd.client.put(member.clientAddress, key: "after", value: "ok", timeout: .seconds(5))
            #expect(try await etcd.client.get(member.clientAddress, key: "after", timeout: .seconds(5)) == "ok")

            await #expect(throws: (any Error).self, "a slow disk is refused on etcd") {
                try await performer.perform(.disk(node: .node(victim), fault: .slow(ms: 50)))
            }
        }
    }

    /// etcd's own NOSPACE alarm (its backend over `--quota-backend-bytes`, here 200 kB) shows as
    /// the member's storage error, and `disk all ok` disarms every member's.
    @Test(.timeLimit(.minutes(5)))
    func diskOkDisarmsANospaceAlarm() async throws {
        try await withEtcd("nospace", memberArgs: ["--quota-backend-bytes", "200000"]) { etcd in
            let (s, _) = await etcd.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
            let leader = try #require(s.leader)
            let value = String(repeating: "v", count: 20_000)
            try await eventually("the quota is exceeded", timeout: .seconds(20), poll: .milliseconds(50)) {
                do {
                    try await etcd.client.put(leader.adminAddress, key: "big-\(UUID().uuidString)", value: value, timeout: .seconds(2))
                    return false
                } catch {
                    return "\(error)".contains("database space exceeded")
                }
            }
            // Each member raises its own alarm when it finds its backend over the quota.
            let alarms = try await etcd.client.alarms(leader.adminAddress)
            #expect(!alarms.isEmpty && alarms.allSatisfy { $0.alarm == "NOSPACE" }, "\(alarms)")
            let (raised, shown) = await etcd.wait(for: .seconds(5)) { $0.live.contains { $0.storageError?.contains("NOSPACE") == true } }
            #expect(shown, "the alarm shows as a storage error: \(raised.report())")

            let ok = try await CommandPerformer(engine: etcd).perform(.disk(node: .all, fault: .ok))
            #expect(ok.message.components(separatedBy: "NOSPACE alarm disarmed").count - 1 >= alarms.count, "\(ok.message)")
            #expect(try await etcd.client.alarms(leader.adminAddress) == [])
            let (cleared, gone) = await etcd.wait(for: .seconds(5)) { $0.live.count == 3 && $0.live.allSatisfy { $0.storageError == nil } }
            #expect(gone, "\(cleared.report())")
        }
    }

    /// `panic` on etcd empties a full disk too, with the load, the paused members and the network.
    @Test(.timeLimit(.minutes(5)))
    func panicEmptiesAFullDisk() async throws {
        try await withEtcd("panic") { etcd in
            let (s, _) = await etcd.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
            let leader = try #require(s.leader)
            let member = try #require(try etcd.local?.load().member(s.live.map(\.id).sorted().first { $0 != leader.id } ?? ""))
            let performer = CommandPerformer(engine: etcd)
            _ = try await performer.perform(.disk(node: .node(member.name), fault: .full))
            #expect(member.disk?.isFull == true)
            _ = try await performer.perform(.panic)
            #expect(member.disk?.isFull == false, "panic deleted the filler")
            #expect(etcd.events.recent.contains { $0.message.contains("\(member.name): filler deleted") }, "\(etcd.events.recent.map(\.message))")
            let (after, up) = await etcd.wait(for: .seconds(15)) { $0.live.count == 3 && $0.leader != nil }
            #expect(up, "\(after.report())")
        }
    }

    /// A body that throws still leaves nothing mounted (`withEtcd` checks it in its catch).
    @Test(.timeLimit(.minutes(5)))
    func aThrowingBodyLeavesNothingMounted() async throws {
        struct Planned: Error {}
        await #expect(throws: Planned.self) {
            try await withEtcd("throws") { etcd in
                let spec = try #require(try etcd.local?.load())
                #expect(spec.members.allSatisfy { $0.disk?.isMounted == true })
                throw Planned()
            }
        }
    }

    /// The same full disk on members that are hosts of a namespace lab (`up --engine etcd --net
    /// netns`): etcd runs in its host's namespaces and sees the tmpfs mounted before it started.
    @Test(.enabled(EngineKernelFaultTests.reason) { await EngineKernelFaultTests.labUsable() }, .timeLimit(.minutes(5)))
    func aFullDiskInALabEndsTheMemberAndOkBringsItBack() async throws {
        var directory = ""
        try await withEngineInLab(.etcd) { engine, _ in
            let etcd = try #require(engine as? EtcdEngine)
            let local = try #require(etcd.local)
            directory = local.directory
            let (s, _) = await etcd.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
            let leader = try #require(s.leader)
            let victim = try #require(try local.load().member(s.live.map(\.id).sorted().first { $0 != leader.id } ?? ""))
            let performer = CommandPerformer(engine: etcd)
            _ = try await performer.perform(.disk(node: .node(victim.name), fault: .full))
            try await eventually("\(victim.name) ends on its full disk", timeout: .seconds(20), poll: .milliseconds(100)) {
                _ = try? await etcd.client.put(leader.adminAddress, key: "lab-full-\(UUID().uuidString)", value: "x", timeout: .seconds(2))
                return local.pid(of: victim) == nil
            }
            let (dead, _) = await etcd.wait(for: .seconds(5)) { $0.node(victim.name)?.death != nil }
            #expect(dead.node(victim.name)?.death?.reason.contains("no space left on device") == true, "\(dead.report())")
            let ok = try await performer.perform(.disk(node: .node(victim.name), fault: .ok))
            #expect(ok.message.contains("started again"), "\(ok.message)")
            let (healed, one) = await etcd.wait(for: .seconds(20)) { s in
                guard let l = s.leader else { return false }
                return s.live.count == 3 && s.live.allSatisfy { $0.leader == l.id }
            }
            #expect(one, "\(healed.report())")
            try await etcd.client.put(victim.clientAddress, key: "lab-after", value: "ok", timeout: .seconds(5))
        }
        #expect(!directory.isEmpty && Self.mounted(under: directory) == [], "nothing of the lab run stays mounted")
    }

    @Test(.timeLimit(.minutes(5)))
    func replaceGivesAMemberANewIdAndKeepsTheCount() async throws {
        try await withEtcd("replace") { etcd in
            let (s, _) = await etcd.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
            let leader = try #require(s.leader)
            try await etcd.client.put(leader.adminAddress, key: "kept", value: "before", timeout: .seconds(5))
            let victim = try #require(s.live.map(\.id).sorted().first { $0 != leader.id })
            let old = try await etcd.id(of: victim)

            let outcome = try await CommandPerformer(engine: etcd).perform(.replace(node: victim))
            #expect(outcome.message.contains("replaced \(victim)"), "\(outcome.message)")
            let new = try await etcd.id(of: victim)
            #expect(new != old, "etcd gave the returning member a new id (\(old) before, \(new) after)")
            let (after, settled) = await etcd.wait(for: .seconds(20)) { s in
                s.members.count == 3 && s.voters.contains(victim) && s.live.count == 3 && s.leader != nil
            }
            #expect(settled, "three voters, \(victim) among them: \(after.report())")
            let member = try #require(try etcd.local?.load().member(victim))
            #expect(member.initialState == "existing")
            #expect(try await etcd.client.get(member.clientAddress, key: "kept", timeout: .seconds(5)) == "before",
                    "the empty member caught up with what was written before")
        }
    }
}
