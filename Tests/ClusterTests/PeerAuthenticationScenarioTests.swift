import BinaryCoding
import FlotillaAPI
import Foundation
import Orchestrator
import RaftCore
import Testing
import TestSupport

/// Real nodes against a hostile peer on their Raft port: one that knows the (public) cluster id
/// and speaks the previous handshake, whose only credential that was, cannot touch the leader's
/// term; and strangers' partial frames cannot make a node hold their bytes.
@Suite("Peer authentication", .serialized)
struct PeerAuthenticationScenarioTests {
    /// `payload` behind its 4-byte big-endian length.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + payload
    }

    /// Protocol 1's hello: magic, version, cluster id and the node id it claims.
    static func oldHello(cluster: String, claiming id: String) -> [UInt8] {
        var w = ByteWriter()
        w.write(UInt8(1))
        for b in Array("FLTL".utf8) { w.write(b) }
        w.write(UInt8(0))
        w.write(UInt8(1))
        w.write(cluster)
        w.write(id)
        return frame(w.bytes)
    }

    static func message(_ m: Message) -> [UInt8] {
        var w = ByteWriter()
        w.write(UInt8(4))
        m.encode(into: &w)
        return frame(w.bytes)
    }

    static func port(of address: String) -> Int { Int(address.split(separator: ":").last!)! }

    @Test func aForgedFollowerWithTheClusterIDCannotMoveTheLeadersTerm() async throws {
        try await withCluster(nodes: 3) { c in
            let leader = try await c.waitForLeader()
            let follower = try #require(c.spec.nodes.first { $0.id != leader.id }).id
            let (port, cluster, term, leaderID) = (Self.port(of: leader.raftAddress), leader.clusterID, leader.term, leader.id)
            // For 4 s, as the follower: an append response and a vote request two terms up from the
            // last every 100 ms, reconnecting whenever the leader closes the connection.
            let (frames, connections) = try await offThePool { () -> (Int, Int) in
                let clock = ContinuousClock()
                let end = clock.now + .seconds(4)
                var (frames, connections, bump): (Int, Int, UInt64) = (0, 0, 1)
                while clock.now < end {
                    defer { Thread.sleep(forTimeInterval: 0.1) }  // the attacker's pace
                    guard let socket = HostilePeerSocket(port: port) else { continue }
                    connections += 1
                    guard socket.send(Self.oldHello(cluster: cluster, claiming: follower)) else { continue }
                    while clock.now < end {
                        let t = term + bump
                        let batch = Self.message(Message(from: follower, to: leaderID, term: t,
                                                         body: .appendResponse(success: false, index: 0, hintIndex: 0, hintTerm: 0)))
                            + Self.message(Message(from: follower, to: leaderID, term: t,
                                                   body: .vote(lastIndex: 1 << 40, lastTerm: t, transfer: false)))
                        guard socket.send(batch) else { break }
                        frames += 2
                        bump += 1
                        Thread.sleep(forTimeInterval: 0.1)
                    }
                }
                return (frames, connections)
            }
            let after = await c.view()
            let log = (try? String(contentsOfFile: c.node(leaderID).logFile, encoding: .utf8)) ?? ""
            print("forged follower: \(frames) frames written over \(connections) connections; terms \(term) -> \(after.live.map { "\($0.id)=\($0.term)" })")
            #expect(log.contains("protocol version mismatch (ours 2, theirs 1)"), "the forger reached the leader and was refused")
            #expect(after.leader?.id == leaderID, "\(after.table())")
            #expect(after.live.count == 3 && after.live.allSatisfy { $0.term == term }, "\(after.table())")
            _ = try await c.control.submit(TaskSubmission(kind: "echo", args: ["text": "still serving"]))
        }
    }

    @Test func fortyPartialFramesOf15MiBLeaveTheNodeSmallAndServing() async throws {
        try await withCluster(nodes: 1) { c in
            let leader = try await c.waitForLeader()
            let pid = try #require(c.launcher.pid(of: c.node(leader.id)))
            let port = Self.port(of: leader.raftAddress)
            let before = HTTPLoad.residentMegabytes(of: pid) ?? 0
            // Each connection: a length prefix of 15 MiB + 1 and 15 MiB of payload, one byte short.
            let written = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await offThePool { () -> Int in
                            guard let socket = HostilePeerSocket(port: port) else { return 0 }
                            let length = (15 << 20) + 1
                            guard socket.send([UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]) else {
                                return 0
                            }
                            let chunk = [UInt8](repeating: 0x41, count: 1 << 20)
                            var sent = 0
                            for _ in 0..<15 {
                                guard socket.send(chunk) else { break }
                                sent += chunk.count
                            }
                            return sent
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            let peak = HTTPLoad.residentMegabytes(of: pid, "VmHWM") ?? 0
            let now = HTTPLoad.residentMegabytes(of: pid) ?? 0
            print("40 partial frames of 15 MiB: \(written >> 20) MiB written; resident \(Int(before)) -> \(Int(now)) MB, peak \(Int(peak)) MB")
            #expect(peak > 0 && peak < 150, "peak resident \(peak) MB")
            _ = try await c.control.submit(TaskSubmission(kind: "echo", args: ["text": "still serving"]))
            let log = (try? String(contentsOfFile: c.node(leader.id).logFile, encoding: .utf8)) ?? ""
            #expect(log.contains("before the handshake completed exceeds the limit of 4096"))
        }
    }

    /// 200 strangers that connect to a follower's Raft port and say nothing hold no more than
    /// the handshake cap's descriptors there, and a leader restarted meanwhile (so every peer
    /// dials the follower again) finds its way in: the cluster elects, commits and the follower
    /// applies it.
    @Test func silentStrangersOnAFollowersPeerPortCostFewDescriptorsAndPeersStillGetIn() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let follower = try #require(c.spec.nodes.first { $0.id != leader.id })
            let pid = try #require(c.launcher.pid(of: follower))
            let port = Self.port(of: follower.raftAddress)
            let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
            let strangers = try await offThePool { try (0..<200).map { _ in try RawConnection(port: port) } }
            defer { for s in strangers { s.close() } }
            // Accepted and counted by the follower (the kernel takes them before the node does).
            try await eventually("the follower to turn the oldest strangers away") {
                let log = (try? String(contentsOfFile: follower.logFile, encoding: .utf8)) ?? ""
                return log.contains("connections in their handshake: the oldest is closed")
            }
            let held = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
            #expect(held - before <= 64 + 16, "descriptors \(before) -> \(held) with 200 strangers connected")

            try await c.control.restart(leader.id)
            let v = try await c.waitFor("a leader the follower follows, with the old one back") { v in
                v.live.count == 3 && v.leader != nil && v.live.allSatisfy { $0.leader == v.leader?.id }
            }
            let written = try await c.control.submit(TaskSubmission(kind: "echo", args: ["text": "past the strangers"]))
            try await c.waitFor("the follower to apply the write made past the strangers") { now in
                (now.node(follower.id)?.live?.applied ?? 0) >= (now.leader?.commit ?? .max)
            }
            #expect(written.count == 1, "\(v.table())")
        }
    }
}
