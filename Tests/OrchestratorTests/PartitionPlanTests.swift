import FlotillaAPI
import Orchestrator
import Testing

@Suite("Partition plans")
struct PartitionPlanTests {
    let five = ["n1", "n2", "n3", "n4", "n5"]

    /// Whether `a` and `b` can talk under a plan (both directions clear).
    func linked(_ p: PartitionPlan, _ a: String, _ b: String) -> Bool {
        func drops(_ x: String, _ y: String) -> Bool { p.rules[x]?.drop.contains(y) ?? false }
        return !drops(a, b) && !drops(b, a)
    }

    @Test func groupsCutEveryLinkAcrossAndNoneWithin() throws {
        let p = try PartitionPlan.parse("n1,n2|n3", members: five, leader: "n1")
        #expect(p.description == "{n1,n2} | {n3} | {n4,n5}")
        #expect(linked(p, "n1", "n2") && linked(p, "n4", "n5"))
        #expect(!linked(p, "n1", "n3") && !linked(p, "n3", "n4") && !linked(p, "n2", "n5"))
    }

    @Test func aSingleGroupIsolatesItFromTheRest() throws {
        let p = try PartitionPlan.parse("leader", members: ["n1", "n2", "n3"], leader: "n2")
        #expect(p.description == "{n2} | {n1,n3}")
        #expect(!linked(p, "n2", "n1") && linked(p, "n1", "n3"))
    }

    @Test func oneWayDropsOnlyTheOutboundSide() throws {
        let p = try PartitionPlan.parse("n1->n2", members: ["n1", "n2", "n3"], leader: nil)
        #expect(p.rules["n1"] == FaultSpec(drop: ["n2", "n3"], direction: .out))
        #expect(p.rules["n2"] == nil && p.rules["n3"] == nil)
    }

    @Test func minorityHoldsTheLeaderAndLeavesAQuorum() throws {
        let p = try PartitionPlan.minority(members: five, leader: "n4")
        #expect(p.description == "{n4,n1} | {n2,n3,n5}")
    }

    @Test func majoritiesRingGivesEveryNodeADifferentMajority() throws {
        let p = try PartitionPlan.majoritiesRing(members: five)
        var seen = Set<Set<String>>()
        for n in five {
            let reach = Set(five.filter { $0 == n || linked(p, n, $0) })
            #expect(reach.count == 3, "\(n) sees a bare majority")
            seen.insert(reach)
        }
        #expect(seen.count == 5)
        #expect(throws: OrchestratorError.self) { try PartitionPlan.majoritiesRing(members: ["n1", "n2", "n3"]) }
    }

    @Test func aBridgeJoinsTwoHalvesThroughOneFollower() throws {
        let p = try PartitionPlan.bridge(members: five, leader: "n1")
        let middle = try #require(five.first { n in five.allSatisfy { $0 == n || linked(p, n, $0) } })
        #expect(middle != "n1")
        let rest = five.filter { $0 != middle }
        let cut = rest.flatMap { a in rest.map { (a, $0) } }.filter { !linked(p, $0.0, $0.1) }
        #expect(!cut.isEmpty, "the halves cannot talk directly")
    }

    @Test(arguments: ["n1,n1|n2", "", "|", "n9|n1", "n1,n2,n3,n4,n5", "n1->"])
    func badSpecsAreRefusedWithAClearError(_ spec: String) {
        #expect(throws: OrchestratorError.self) { try PartitionPlan.parse(spec, members: five, leader: "n1") }
    }
}
