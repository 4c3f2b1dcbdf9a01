import BinaryCoding
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
        // A lone founder (started with only itself in --peers) founds a cluster without the
        // others: the refusal names the voters it has and that cause too, not only a removal.
        #expect(why.contains("voters n1,n2") && why.contains("founded that cluster without it"), "\(why)")
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

    // MARK: - Founders started with different --peers

    /// The founders `ids` at the addresses `address` gives them, but for `moved` (id -> Raft address).
    static func founders(_ ids: [NodeID], moved: [NodeID: String] = [:]) -> [NodeID: MemberAddress] {
        var out: [NodeID: MemberAddress] = [:]
        for id in ids {
            var a = address(id)
            if let raft = moved[id] { a.raft = raft }
            out[id] = a
        }
        return out
    }

    static let incs: [NodeID: UInt64] = ["n1": 11, "n2": 22, "n3": 33, "n4": 44]

    /// Every founder's decision when each was started with its own `--peers` and heard every
    /// other founder it names, each report carrying the sender's set.
    static func decisions(_ peers: [NodeID: [NodeID: MemberAddress]]) -> [NodeID: FounderCheck.Decision] {
        var out: [NodeID: FounderCheck.Decision] = [:]
        for (me, founders) in peers {
            var reports: [NodeID: FounderCheck.Report] = [:]
            for other in founders.keys where other != me {
                guard let theirs = peers[other] else { continue }  // not started: silent
                reports[other] = .empty(address(other, slots: 2, inc: incs[other]!), founders: FounderSet(theirs))
            }
            out[me] = FounderCheck(me: me, address: address(me, slots: 2, inc: incs[me]!), founders: founders).decide(reports)
        }
        return out
    }

    @Test("founders started with the same --peers, each report carrying its set: the first founds, the others wait for it")
    func sameFounderSetsFound() {
        let same = Self.founders(["n1", "n2", "n3"])
        let d = Self.decisions(["n1": same, "n2": same, "n3": same])
        guard case .found(let m) = d["n1"] else { Issue.record("\(d)"); return }
        #expect(m.voters == ["n1", "n2", "n3"] && m.incarnation(of: "n3") == 33)
        #expect(d["n2"] == .awaitFounder("n1") && d["n3"] == .awaitFounder("n1"), "\(d)")
    }

    /// Every started founder refuses (a conflict naming both sets and the way out), and none writes entry 1.
    func expectEveryFounderRefuses(_ peers: [NodeID: [NodeID: MemberAddress]], naming: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        for (id, d) in Self.decisions(peers).sorted(by: { $0.key < $1.key }) {
            guard case .conflict(let why) = d else {
                Issue.record("\(id) decided \(d), not a refusal", sourceLocation: sourceLocation)
                continue
            }
            #expect(why.contains("start every founder with the same --peers"), "\(id): \(why)", sourceLocation: sourceLocation)
            for text in naming { #expect(why.contains(text), "\(id) does not name \(text): \(why)", sourceLocation: sourceLocation) }
        }
    }

    @Test("a founder started with another id set (n2,n3,n4 beside n1,n2,n3): refused on every founder that hears it, nobody founds")
    func otherIDSetIsRefusedEverywhere() {
        let right = Self.founders(["n1", "n2", "n3"])
        let other = Self.founders(["n2", "n3", "n4"])
        expectEveryFounderRefuses(["n1": right, "n2": right, "n3": other],
                                  naming: ["[n1=r-n1 n2=r-n2 n3=r-n3]", "[n2=r-n2 n3=r-n3 n4=r-n4]"])
        // n3 hears only n2 in time: refused already, before every founder is heard.
        let d = FounderCheck(me: "n3", address: Self.address("n3", inc: 33), founders: other)
            .decide(["n2": .empty(Self.address("n2", inc: 22), founders: FounderSet(right))])
        guard case .conflict(let why) = d else { Issue.record("\(d)"); return }
        #expect(why.contains("n1 only on n2") && why.contains("n4 only on n3"), "the difference, from both sides: \(why)")
    }

    @Test("a founder that places one founder at another Raft address: refused on every founder that hears it")
    func otherAddressForTheSameIDIsRefused() {
        let right = Self.founders(["n1", "n2", "n3"])
        let moved = Self.founders(["n1", "n2", "n3"], moved: ["n1": "r-n1-typo"])
        expectEveryFounderRefuses(["n1": right, "n2": right, "n3": moved], naming: ["n1=r-n1-typo", "n1=r-n1 "])
        let why = Self.decisions(["n1": right, "n2": right, "n3": moved])["n2"]
        #expect("\(String(describing: why))".contains("n1 at r-n1 on n2 but at r-n1-typo on n3"), "\(String(describing: why))")
    }

    @Test("only the admin address differs: the same founders (an admin address is where to reach a node, not who it is)")
    func otherAdminAddressIsTheSameSet() {
        var other = Self.founders(["n1", "n2", "n3"])
        other["n1"]?.admin = "a-elsewhere"
        let right = Self.founders(["n1", "n2", "n3"])
        let d = Self.decisions(["n1": right, "n2": right, "n3": other])
        #expect(d["n2"] == .awaitFounder("n1") && d["n3"] == .awaitFounder("n1"), "\(d)")
        guard case .found = d["n1"] else { Issue.record("\(d)"); return }
    }

    @Test("a founder started with a subset that leaves the first out: refused on every founder, so no second entry 1")
    func subsetIsRefused() {
        let right = Self.founders(["n1", "n2", "n3"])
        let subset = Self.founders(["n2", "n3"])
        // Unchecked, n2 would be first in its own set and found {n2,n3} while n1 founds {n1,n2,n3}.
        expectEveryFounderRefuses(["n1": right, "n2": subset, "n3": right], naming: ["[n2=r-n2 n3=r-n3]", "[n1=r-n1 n2=r-n2 n3=r-n3]"])
        let d = Self.decisions(["n1": right, "n2": subset, "n3": right])
        #expect(Self.foundings(Array(d.values)).isEmpty, "\(d)")
        // A subset that keeps the first founder is refused as well.
        expectEveryFounderRefuses(["n1": right, "n2": right, "n3": Self.founders(["n1", "n3"])], naming: ["[n1=r-n1 n3=r-n3]"])
    }

    @Test("a report that carries no founder set (a node from before they were compared) is taken as before")
    func reportWithoutASetIsNotCompared() {
        let d = Self.check("n1", inc: 11).decide(["n2": .empty(Self.address("n2", inc: 22)),
                                                   "n3": .empty(Self.address("n3", inc: 33), founders: FounderSet(Self.founders))])
        guard case .found(let m) = d else { Issue.record("\(d)"); return }
        #expect(m.voters == ["n1", "n2", "n3"])
    }

    @Test("a report survives the wire, and damaged bytes are refused, never trapped on")
    func reportsRoundTrip() throws {
        let reports: [FounderCheck.Report] = [.empty(Self.address("n2", slots: 3, inc: 22)), .founded(Self.membership(["n1": 11, "n2": 22])),
                                              .empty(Self.address("n2", slots: 3, inc: 22), founders: FounderSet(Self.founders))]
        for r in reports {
            let bytes = r.encoded()
            #expect(try FounderCheck.Report(decoding: bytes) == r)
            for cut in 0..<bytes.count { #expect(throws: (any Error).self) { try FounderCheck.Report(decoding: Array(bytes.prefix(cut))) } }
        }
        #expect(throws: (any Error).self) { try FounderCheck.Report(decoding: [9]) }
        // The form from before founder sets (tag 0, the address alone) still reads, as a report without a set.
        var old = ByteWriter()
        old.write(UInt8(0))
        old.write(Self.address("n2", slots: 3, inc: 22).encoded)
        #expect(try FounderCheck.Report(decoding: old.bytes) == .empty(Self.address("n2", slots: 3, inc: 22), founders: nil))
        // A report with a set takes a tag of its own, which a reader from before refuses rather than misreads.
        #expect(reports[2].encoded().first == 2 && reports[0].encoded().first == 0)
        #expect(throws: (any Error).self) { try FounderCheck.Report(decoding: [0, 3] + Array("abc".utf8)) }
    }
}
