import NodeCore
import RaftCore
import Testing

@Suite("Founder check and incarnations")
struct FounderCheckTests {
    static func address(_ id: String, slots: Int = 0, inc: UInt64 = 0) -> MemberAddress {
        MemberAddress(raft: "r-\(id)", admin: "a-\(id)", slots: slots, incarnation: inc)
    }

    static let founders: [NodeID: MemberAddress] = ["n1": address("n1"), "n2": address("n2"), "n3": address("n3")]

    static func check(_ me: NodeID = "n3", inc: UInt64 = 33) -> FounderCheck {
        FounderCheck(me: me, address: address(me, slots: 4, inc: inc), founders: founders)
    }

    static func membership(_ incs: [NodeID: UInt64]) -> Membership {
        Membership(incs.map { Member(id: $0.key, isVoter: true, address: address($0.key, slots: 4, inc: $0.value).encoded) })
    }

    @Test("every founder empty: the first founds, with everyone's slots and incarnation; the others wait for its log")
    func allEmptyFoundTheSameCluster() {
        let reports: [NodeID: [NodeID: FounderCheck.Report]] = [
            "n1": ["n2": .empty(Self.address("n2", slots: 2, inc: 22)), "n3": .empty(Self.address("n3", slots: 4, inc: 33))],
            "n2": ["n1": .empty(Self.address("n1", slots: 1, inc: 11)), "n3": .empty(Self.address("n3", slots: 4, inc: 33))],
            "n3": ["n1": .empty(Self.address("n1", slots: 1, inc: 11)), "n2": .empty(Self.address("n2", slots: 2, inc: 22))],
        ]
        let own: [NodeID: (Int, UInt64)] = ["n1": (1, 11), "n2": (2, 22), "n3": (4, 33)]
        var decisions: [FounderCheck.Decision] = []
        for id in ["n1", "n2", "n3"] {
            let c = FounderCheck(me: id, address: Self.address(id, slots: own[id]!.0, inc: own[id]!.1), founders: Self.founders)
            decisions.append(c.decide(reports[id]!))
        }
        guard case .found(let m) = decisions[0] else { Issue.record("\(decisions[0])"); return }
        #expect(decisions.dropFirst().allSatisfy { $0 == .awaitFounder("n1") }, "only the first founder writes entry 1: \(decisions)")
        #expect(m.voters == ["n1", "n2", "n3"])
        #expect(m.incarnation(of: "n2") == 22 && m.addresses["n2"]?.slots == 2 && m.addresses["n2"]?.raft == "r-n2")
    }

    /// Founders decide on what they heard, which may be from before another founder restarted.
    /// Whatever each heard, the entries 1 they write must be one and the same.
    static func foundings(_ decisions: [FounderCheck.Decision]) -> [Membership] {
        var distinct: [Membership] = []
        for case .found(let m) in decisions where !distinct.contains(m) { distinct.append(m) }
        return distinct
    }

    @Test("a founder restarted with other --slots before founding: entry 1 is written once, never twice differently")
    func restartWithOtherSlotsCannotSplitEntryOne() {
        // n1 heard n2 (2 slots) and n3 before n2 restarted with 4 slots; n2, restarted, heard n1 and
        // n3 still empty (n1 had not written its entry 1 yet); n3 heard both before the restart.
        let n1 = Self.check("n1", inc: 11).decide(["n2": .empty(Self.address("n2", slots: 2, inc: 22)), "n3": .empty(Self.address("n3", slots: 4, inc: 33))])
        let n2 = FounderCheck(me: "n2", address: Self.address("n2", slots: 4, inc: 22), founders: Self.founders)
            .decide(["n1": .empty(Self.address("n1", slots: 4, inc: 11)), "n3": .empty(Self.address("n3", slots: 4, inc: 33))])
        let n3 = Self.check("n3", inc: 33).decide(["n1": .empty(Self.address("n1", slots: 4, inc: 11)), "n2": .empty(Self.address("n2", slots: 2, inc: 22))])
        let written = Self.foundings([n1, n2, n3])
        #expect(written.count == 1, "founders wrote \(written.count) different entries 1: \([n1, n2, n3])")
    }

    @Test("a founder wiped before founding (a new incarnation): no two entries 1 name it differently")
    func wipeBeforeFoundingCannotSplitEntryOne() {
        // n3 heard n2 as incarnation 22; n2's disk was wiped and it came back as 23, heard n1 and n3 empty.
        let n3 = Self.check("n3", inc: 33).decide(["n1": .empty(Self.address("n1", slots: 4, inc: 11)), "n2": .empty(Self.address("n2", slots: 4, inc: 22))])
        let n2 = FounderCheck(me: "n2", address: Self.address("n2", slots: 4, inc: 23), founders: Self.founders)
            .decide(["n1": .empty(Self.address("n1", slots: 4, inc: 11)), "n3": .empty(Self.address("n3", slots: 4, inc: 33))])
        let n1 = Self.check("n1", inc: 11).decide(["n2": .empty(Self.address("n2", slots: 4, inc: 23)), "n3": .empty(Self.address("n3", slots: 4, inc: 33))])
        #expect(Self.foundings([n1, n2, n3]).count == 1, "\([n1, n2, n3])")
    }

    @Test("a founder other than the first, hearing every founder empty, writes nothing and waits for the first's log")
    func onlyTheFirstFounderWrites() {
        let empty: [NodeID: FounderCheck.Report] = ["n1": .empty(Self.address("n1", slots: 1, inc: 11)), "n2": .empty(Self.address("n2", slots: 2, inc: 22))]
        #expect(Self.check("n3").decide(empty) == .awaitFounder("n1"))
        #expect(Self.check("n3").decide(["n1": empty["n1"]!]) == .wait(missing: ["n2"]), "every founder must be heard first")
        let first = Self.check("n1", inc: 11).decide(["n2": empty["n2"]!, "n3": .empty(Self.address("n3", slots: 4, inc: 33))])
        guard case .found(let m) = first else { Issue.record("\(first)"); return }
        #expect(m.voters == ["n1", "n2", "n3"] && m.addresses["n1"]?.slots == 4 && m.incarnation(of: "n3") == 33)
    }

    @Test("a founder that has not answered keeps the node waiting")
    func silenceWaits() {
        let d = Self.check().decide(["n1": .empty(Self.address("n1", inc: 11))])
        #expect(d == .wait(missing: ["n2"]))
        #expect(Self.check().decide([:]) == .wait(missing: ["n1", "n2"]))
    }

    @Test("one founder holding a log that knows another incarnation of this node: refused, naming the way out")
    func wipedNodeIsRefused() {
        let d = Self.check(inc: 99).decide(["n1": .founded(Self.membership(["n1": 11, "n2": 22, "n3": 33]))])
        guard case .refuse(let why) = d else { Issue.record("\(d)"); return }
        #expect(why.contains("flotilla replace n3") && why.contains(Incarnation.text(33)) && why.contains(Incarnation.text(99)))
    }

    @Test("the cluster exists and knows this very incarnation: wait for the leader's log instead of founding")
    func slowFounderAwaitsTheLeader() {
        #expect(Self.check(inc: 33).decide(["n2": .founded(Self.membership(["n1": 11, "n2": 22, "n3": 33]))]) == .awaitLeader)
    }

    @Test("a founder that stored entry 1 but has not heard it committed (no membership yet) is no answer yet, never a refusal")
    func entryOneNotYetCommittedIsNoAnswer() {
        let uncommitted = FounderCheck.Report.founded(Membership())
        #expect(Self.check(inc: 33).decide(["n1": .empty(Self.address("n1", inc: 11)), "n2": uncommitted]) == .wait(missing: ["n2"]))
        #expect(Self.check(inc: 33).decide(["n1": uncommitted, "n2": .founded(Self.membership(["n1": 11, "n2": 22, "n3": 33]))]) == .awaitLeader)
    }

    @Test("a node the cluster removed is refused")
    func removedNodeIsRefused() {
        let d = Self.check().decide(["n1": .founded(Self.membership(["n1": 11, "n2": 22]))])
        guard case .refuse(let why) = d else { Issue.record("\(d)"); return }
        #expect(why.contains("removed"))
    }

    @Test("peers are refused only when the membership records another incarnation")
    func refusalByIncarnation() {
        let m = Self.membership(["n1": 11, "n2": 22])
        #expect(m.refusal(peer: "n1", incarnation: 11) == nil)
        #expect(m.refusal(peer: "n1", incarnation: 12)?.contains("flotilla replace n1") == true)
        #expect(m.refusal(peer: "n9", incarnation: 1) == nil, "not a member: Raft decides what it may say")
        let legacy = Membership([Member(id: "n1", isVoter: true, address: MemberAddress(raft: "r", admin: "a", slots: 1).encoded)])
        #expect(legacy.refusal(peer: "n1", incarnation: 5) == nil, "nothing recorded, nothing to compare")
    }

    @Test("addresses round-trip with and without an incarnation")
    func addressRoundTrip() {
        for a in [Self.address("n1", slots: 3, inc: 0), Self.address("n1", slots: 3, inc: 0xfeed_beef_0000_0001)] {
            #expect(MemberAddress(a.encoded) == a)
        }
        #expect(!Self.address("n1").encoded.contains("inc="), "old readers see the form they know")
        #expect(Incarnation.parse("zz") == nil && Incarnation.parse("") == nil && Incarnation.parse("11111111111111111") == nil)
    }

    @Test("a report survives the wire, and damaged bytes are refused, never trapped on")
    func reportsRoundTrip() throws {
        let reports: [FounderCheck.Report] = [.empty(Self.address("n2", slots: 3, inc: 22)), .founded(Self.membership(["n1": 11, "n2": 22]))]
        for r in reports {
            let bytes = r.encoded()
            #expect(try FounderCheck.Report(decoding: bytes) == r)
            for cut in 0..<bytes.count { #expect(throws: (any Error).self) { try FounderCheck.Report(decoding: Array(bytes.prefix(cut))) } }
        }
        #expect(throws: (any Error).self) { try FounderCheck.Report(decoding: [9]) }
        #expect(throws: (any Error).self) { try FounderCheck.Report(decoding: [0, 3] + Array("abc".utf8)) }
    }
}
