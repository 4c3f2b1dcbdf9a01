import FlotillaAPI
import Foundation
import Testing
@testable import Orchestrator

/// etcd's answers as etcd 3.4.23 sent them (copied from a local cluster), read and mapped to the
/// per-node status the console shows. No etcd is needed.
@Suite("etcd's JSON gateway and metrics, read")
struct EtcdWireTests {
    static let e1 = EtcdMemberID(decimal: "13668033151171901709")!
    static let e2 = EtcdMemberID(decimal: "185828541645115251")!
    static let e3 = EtcdMemberID(decimal: "3990370604368066554")!

    static let leaderStatus = """
        {"header":{"cluster_id":"17300438976491492131","member_id":"185828541645115251","revision":"2","raft_term":"4"},\
        "version":"3.4.23","dbSize":"20480","leader":"185828541645115251","raftIndex":"15","raftTerm":"4",\
        "raftAppliedIndex":"14","dbSizeInUse":"16384"}
        """
    static let noLeaderStatus = """
        {"header":{"cluster_id":"17300438976491492131","member_id":"13668033151171901709","revision":"2","raft_term":"4"},\
        "version":"3.4.23","dbSize":"20480","raftIndex":"15","raftTerm":"4","raftAppliedIndex":"15","errors":["etcdserver: no leader"],\
        "dbSizeInUse":"16384"}
        """
    static let learnerStatus = """
        {"header":{"cluster_id":"17300438976491492131","member_id":"5329426887022296820","revision":"2","raft_term":"3"},\
        "version":"3.4.23","dbSize":"20480","leader":"3990370604368066554","raftIndex":"12","raftTerm":"3","raftAppliedIndex":"12",\
        "dbSizeInUse":"16384","isLearner":true}
        """
    static let memberList = """
        {"header":{"cluster_id":"17300438976491492131","member_id":"13668033151171901709","raft_term":"3"},"members":[\
        {"ID":"185828541645115251","name":"e2","peerURLs":["http://127.0.0.1:23802"],"clientURLs":["http://127.0.0.1:23792"]},\
        {"ID":"3990370604368066554","name":"e3","peerURLs":["http://127.0.0.1:23803"],"clientURLs":["http://127.0.0.1:23793"]},\
        {"ID":"5329426887022296820","peerURLs":["http://127.0.0.1:23804"],"isLearner":true},\
        {"ID":"13668033151171901709","name":"e1","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]}]}
        """
    static let metrics = """
        # HELP etcd_network_active_peers The current number of active peer connections.
        # TYPE etcd_network_active_peers gauge
        etcd_network_active_peers{Local="2943212f5e2cf73",Remote="bdae9bbc11dd390d"} 1
        etcd_network_active_peers{Local="2943212f5e2cf73",Remote="3760a4ec3b84f7fa"} 0
        etcd_network_active_peers{Local="2943212f5e2cf73",Remote="49f5ed8469613ef4"} 0
        # TYPE etcd_server_id gauge
        etcd_server_id{server_id="2943212f5e2cf73"} 1
        process_start_time_seconds 1.7650e+09
        """

    struct List: Decodable { var members: [EtcdMember] }

    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(T.self, from: Data(text.utf8)) }

    @Test func aStatusReadsDecimalIdsAndMissingFieldsAsEmpty() throws {
        let s = try decode(EtcdMemberStatus.self, Self.leaderStatus)
        #expect(s.memberID == Self.e2 && s.leader == Self.e2 && s.leads)
        #expect((s.raftTerm, s.raftIndex, s.raftAppliedIndex, s.dbSize) == (4, 15, 14, 20480))
        #expect(!s.isLearner && s.errors.isEmpty && s.version == "3.4.23")
        let lost = try decode(EtcdMemberStatus.self, Self.noLeaderStatus)
        #expect(lost.leader == nil && !lost.leads && lost.errors == ["etcdserver: no leader"])
        #expect(try decode(EtcdMemberStatus.self, Self.learnerStatus).isLearner)
        #expect(throws: DecodingError.self) { try decode(EtcdMemberStatus.self, #"{"raftTerm":"four"}"#) }
    }

    @Test func aNoSpaceAlarmIsTheMembersStorageError() throws {
        let full = try decode(EtcdMemberStatus.self, #"{"header":{"member_id":"185828541645115251"},"leader":"185828541645115251","#
                              + #""raftTerm":"2","errors":["memberID:185828541645115251 alarm:NOSPACE "]}"#)
        #expect(full.spaceAlarm == "memberID:185828541645115251 alarm:NOSPACE ")
        let view = EtcdMemberView(name: "e2", clientAddress: "127.0.0.1:1", peerAddress: "127.0.0.1:2", status: full)
        let status = try #require(EtcdObservation(views: [view], members: [], takenAt: Date()).nodeStatus(view))
        #expect(status.storageError?.contains("NOSPACE") == true && status.role == .leader)
        #expect(try decode(EtcdMemberStatus.self, Self.noLeaderStatus).spaceAlarm == nil)
    }

    @Test func hexAndDecimalNameTheSameMember() {
        #expect(Self.e2.hex == "2943212f5e2cf73")
        #expect(EtcdMemberID(hex: "2943212f5e2cf73") == Self.e2)
        #expect(EtcdMemberID(decimal: "0") == nil && EtcdMemberID(decimal: "") == nil && EtcdMemberID(hex: "zz") == nil)
    }

    @Test func metricsGiveTheActivePeersByHexId() {
        let m = EtcdMetrics.parse(Substring(Self.metrics))
        #expect(m.serverID == Self.e2)
        #expect(m.activePeers[Self.e1] == true && m.activePeers[Self.e3] == false)
        #expect(m.activePeers.count == 3, "a member removed long ago is still listed, at 0")
        #expect(m.processStart == 1.765e9)
        #expect(EtcdMetrics.parse("garbage {\n etcd_network_active_peers{Local=\"x\"} 1\n") == EtcdMetrics())
    }

    @Test func membersWithoutANameYetAreLearnersAddedNotStarted() throws {
        let members = try decode(List.self, Self.memberList).members
        #expect(members.count == 4)
        let learner = try #require(members.first { $0.isLearner })
        #expect(learner.name.isEmpty && learner.clientURLs.isEmpty && learner.peerAddress == "127.0.0.1:23804")
        #expect(members.first { $0.name == "e2" }?.clientAddress == "127.0.0.1:23792")
    }

    @Test func anObservationBecomesTheSnapshotTheConsoleDraws() throws {
        let members = try decode(List.self, Self.memberList).members
        let at = Date(timeIntervalSince1970: 1.765e9 + 42)
        let views = [
            EtcdMemberView(name: "e1", clientAddress: "127.0.0.1:23791", peerAddress: "127.0.0.1:23801",
                           status: try decode(EtcdMemberStatus.self, Self.noLeaderStatus), process: .running),
            EtcdMemberView(name: "e2", clientAddress: "127.0.0.1:23792", peerAddress: "127.0.0.1:23802",
                           status: try decode(EtcdMemberStatus.self, Self.leaderStatus), metrics: EtcdMetrics.parse(Substring(Self.metrics)),
                           process: .running),
            EtcdMemberView(name: "e3", clientAddress: "127.0.0.1:23793", peerAddress: "127.0.0.1:23803", error: "refused", process: .stopped),
            EtcdMemberView(name: "e4", clientAddress: "127.0.0.1:23794", peerAddress: "127.0.0.1:23804",
                           status: try decode(EtcdMemberStatus.self, Self.learnerStatus), process: .running),
        ]
        let observation = EtcdObservation(views: views, members: members, takenAt: at)
        #expect(observation.name(of: EtcdMemberID(decimal: "5329426887022296820")!) == "e4", "named by its peer address")

        let earlier = ClusterSnapshot(seq: 1, takenAt: at.addingTimeInterval(-5), nodes: [
            NodeObservation(id: "e3", adminAddress: "127.0.0.1:23793",
                            status: observation.nodeStatus(EtcdMemberView(name: "e3", clientAddress: "127.0.0.1:23793", peerAddress: "127.0.0.1:23803",
                                                                          status: try decode(EtcdMemberStatus.self, Self.leaderStatus))),
                            up: true, lastSeen: at.addingTimeInterval(-5)),
        ])
        let s = observation.snapshot(seq: 2, previous: earlier)
        #expect(s.nodes.map(\.id) == ["e1", "e2", "e3", "e4"], "a member that does not answer is kept")
        #expect(s.node("e1")?.live?.role == .preCandidate, "no leader: campaigning")
        #expect(s.node("e4")?.live?.role == .learner && s.node("e4")?.live?.leader == "e3")
        let leader = try #require(s.leader)
        #expect(leader.id == "e2" && leader.term == 4 && leader.commit == 15 && leader.applied == 14)
        #expect(leader.uptimeMs == 42_000 && leader.version == "etcd 3.4.23")
        #expect(s.voters.sorted() == ["e1", "e2", "e3"] && s.learners == ["e4"])
        #expect(leader.peers.first { $0.id == "e1" }?.status == "healthy")
        #expect(leader.peers.first { $0.id == "e3" }?.status == "unreachable")
        let e3 = try #require(s.node("e3"))
        #expect(!e3.up && e3.status?.term == 4 && e3.lastSeen == at.addingTimeInterval(-5) && e3.process == .stopped)
        #expect(observation.reachability == ["e2": ["e1": true, "e3": false, "e4": false]], "only members whose metrics came")
        let without = EtcdObservation(views: views, members: members.filter { !$0.isLearner }, takenAt: at)
        #expect(without.reachability == ["e2": ["e1": true, "e3": false]], "a peer no longer a member is left out")
        let table = s.table()
        #expect(table.contains("e2  127.0.0.1:23792  leader"))
        #expect(table.contains("stopped, last seen 5.0s ago"))
    }

    // `raft.status` from `GET /debug/vars` of etcd 3.4.23: the leader of term 3 right after it won
    // (the paused old leader still probed), and a follower.
    static let leaderRaft = """
        {"id":"6e0ec97502df9717","term":3,"vote":"6e0ec97502df9717","commit":9,"lead":"6e0ec97502df9717","raftState":"StateLeader",\
        "applied":9,"progress":{"64dd6c541d206286":{"match":9,"next":10,"state":"StateReplicate"},\
        "6e0ec97502df9717":{"match":9,"next":10,"state":"StateReplicate"},"e76f641d8c8d596b":{"match":0,"next":9,"state":"StateProbe"}},\
        "leadtransferee":"0"}
        """
    static let followerRaft = """
        {"id":"e76f641d8c8d596b","term":3,"vote":"0","commit":9,"lead":"6e0ec97502df9717","raftState":"StateFollower","applied":9,\
        "progress":{},"leadtransferee":"0"}
        """

    @Test func raftStateReadsHexIdsTermRoleAndProgress() throws {
        let vars = try decode(EtcdDebugVars.self, #"{"cmdline":["etcd"],"memstats":{"Alloc":1},"raft.status":\#(Self.leaderRaft)}"#)
        let leader = try #require(vars.raft)
        #expect(leader.id == EtcdMemberID(hex: "6e0ec97502df9717") && leader.lead == leader.id && leader.vote == leader.id)
        #expect((leader.term, leader.commit, leader.applied) == (3, 9, 9) && leader.role(learner: false) == .leader)
        #expect(leader.progress[EtcdMemberID(hex: "e76f641d8c8d596b")!] == .init(match: 0, next: 9, state: "StateProbe"))
        #expect(leader.progress.count == 3 && leader.progress.values.first { $0.state == "StateProbe" }?.word == "probe")
        let follower = try decode(EtcdRaftState.self, Self.followerRaft)
        #expect(follower.vote == nil && follower.progress.isEmpty && follower.role(learner: false) == .follower)
        #expect(follower.role(learner: true) == .learner)
        #expect(try decode(EtcdRaftState.self, #"{"term":1,"raftState":"StatePreCandidate","lead":"0"}"#).role(learner: false) == .preCandidate)
        #expect(try decode(EtcdDebugVars.self, #"{"cmdline":[]}"#).raft == nil, "a member without raft.status")
        #expect(throws: DecodingError.self) { try decode(EtcdRaftState.self, #"{"term":"3","raftState":"StateLeader"}"#) }
        #expect(throws: DecodingError.self) {
            try decode(EtcdRaftState.self, #"{"term":3,"raftState":"StateLeader","progress":{"zz":{"match":1,"next":2,"state":"StateProbe"}}}"#)
        }
    }

    /// A member that has just won term 4 and applied nothing of it yet reports `raftTerm` 3 in
    /// its status: read that way, the monitor saw it and the leader of term 3 both leading term 3
    /// (a false election-safety violation in a chaos run on etcd). Its Raft state says term 4.
    @Test func aNewLeaderIsSeenInItsOwnTermNotTheTermItLastApplied() throws {
        let e1 = EtcdMemberID(hex: "e76f641d8c8d596b")!, e3 = EtcdMemberID(hex: "6e0ec97502df9717")!
        func status(_ me: EtcdMemberID, leader: EtcdMemberID?) -> EtcdMemberStatus {
            EtcdMemberStatus(memberID: me, leader: leader, raftTerm: 3, raftIndex: 9, raftAppliedIndex: 9)
        }
        let members = [EtcdMember(id: e1, name: "e1", peerURLs: ["http://127.0.0.1:23801"], clientURLs: ["http://127.0.0.1:23791"], isLearner: false),
                       EtcdMember(id: e3, name: "e3", peerURLs: ["http://127.0.0.1:23803"], clientURLs: ["http://127.0.0.1:23793"], isLearner: false)]
        let at = Date()
        func round(_ seq: UInt64, _ views: [EtcdMemberView]) -> ClusterSnapshot {
            EtcdObservation(views: views, members: members, takenAt: at).snapshot(seq: seq, previous: nil)
        }
        let e3Leads = round(1, [
            EtcdMemberView(name: "e3", clientAddress: "127.0.0.1:23793", peerAddress: "127.0.0.1:23803", status: status(e3, leader: e3),
                           raft: try decode(EtcdRaftState.self, Self.leaderRaft)),
        ])
        #expect(e3Leads.leader?.id == "e3" && e3Leads.leader?.term == 3)
        #expect(e3Leads.leader?.peers.first { $0.id == "e1" }.map { ($0.match, $0.next, $0.progress) } ?? (1, 1, "") == (0, 9, "probe"))
        let won = EtcdRaftState(id: e1, term: 4, vote: e1, lead: e1, raftState: "StateLeader", commit: 9, applied: 9)
        let e1Leads = round(2, [
            EtcdMemberView(name: "e1", clientAddress: "127.0.0.1:23791", peerAddress: "127.0.0.1:23801", status: status(e1, leader: e1), raft: won),
        ])
        #expect(e1Leads.leader?.id == "e1" && e1Leads.leader?.term == 4 && e1Leads.leader?.vote == "e1")
        var monitor = InvariantMonitor()
        _ = monitor.observe(e3Leads)
        #expect(monitor.observe(e1Leads).isEmpty && monitor.ok)
        // Read from the status alone, the same round is the false violation the chaos run reported.
        let statusOnly = round(3, [EtcdMemberView(name: "e1", clientAddress: "127.0.0.1:23791", peerAddress: "127.0.0.1:23801",
                                                  status: status(e1, leader: e1))])
        #expect(monitor.observe(statusOnly).map(\.invariant).contains("election safety"), "the fallback's caveat, kept visible")
    }
}
