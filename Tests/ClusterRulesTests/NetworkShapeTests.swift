import ClusterRules
import Testing

@Suite("Network shapes")
struct NetworkShapeTests {
    let five = ["n1", "n2", "n3", "n4", "n5"]

    func connected(_ cuts: [DirectedLink], _ a: String, _ b: String) -> Bool {
        !cuts.contains(DirectedLink(a, b)) && !cuts.contains(DirectedLink(b, a))
    }

    @Test func groupsCutEveryLinkAcrossBothWaysAndNoneWithin() {
        let cuts = NetworkShape.cuts(between: [["n1", "n2"], ["n3"], ["n4", "n5"]])
        #expect(Set(cuts).count == cuts.count && cuts.count == 2 * (2 * 1 + 2 * 2 + 1 * 2))
        #expect(connected(cuts, "n1", "n2") && connected(cuts, "n4", "n5"))
        #expect(!connected(cuts, "n1", "n3") && !connected(cuts, "n3", "n5"))
    }

    @Test func oneWayCutsOnlyWhatTheFirstGroupSends() {
        let cuts = NetworkShape.cuts(between: [["n1"], ["n2", "n3"]], oneWay: true)
        #expect(Set(cuts) == [DirectedLink("n1", "n2"), DirectedLink("n1", "n3")])
        let drops = NetworkShape.drops(cuts)
        #expect(drops.keys.sorted() == ["n1"])
        #expect(drops["n1"]?.bothWays == false)
    }

    @Test(arguments: [4, 5, 6, 7, 9])
    func aMajoritiesRingGivesEveryNodeADifferentBareMajority(_ n: Int) {
        let nodes = (1...n).map { "n\($0)" }
        let cuts = NetworkShape.majoritiesRing(nodes)
        var seen = Set<Set<String>>()
        for a in nodes {
            let reach = Set(nodes.filter { $0 == a || connected(cuts, a, $0) })
            #expect(reach.count >= n / 2 + 1, "\(a) sees a majority of \(n)")
            #expect(reach.count < n, "\(a) does not see everyone")
            seen.insert(reach)
        }
        #expect(seen.count == n)
        #expect(NetworkShape.majoritiesRing(["n1", "n2", "n3"]).isEmpty)
    }

    @Test func symmetricCutsAreDroppedBothWaysBySenders() {
        let drops = NetworkShape.drops(NetworkShape.bridge(["n1", "n2"], ["n4", "n5"]))
        #expect(drops.keys.sorted() == ["n1", "n2", "n4", "n5"], "the bridge n3 drops nothing")
        #expect(drops["n1"] == NodeDrops(sendingTo: ["n4", "n5"], hearingFrom: ["n4", "n5"]))
        #expect(drops.values.allSatisfy { $0.bothWays })
    }
}
