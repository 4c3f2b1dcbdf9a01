import Foundation
@testable import PeerTransport
import RaftCore
import Testing
import TestSupport

@Suite struct LinkFaultTests {
    @Test func aLinkDelayWithJitterHoldsMessagesBackAboutThatLong() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(links: ["n2": LinkFault(delayMs: 200, jitterMs: 50)]))
            let clock = ContinuousClock()
            let start = clock.now
            n1.send(to: "n2", 1...20)
            try await eventually("delayed messages arrive") { n2.markers(from: "n1").count == 20 }
            #expect(clock.now - start >= .milliseconds(150))
        }
    }

    @Test func lossOnALinkDropsAboutTheShareAsked() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(links: ["n2": LinkFault(loss: 0.25)]))
            n1.send(to: "n2", 1...1000)
            try await eventually("every message accounted for") { n1.stats("n2").filtered + n2.received.count == 1000 }
            let lost = n1.stats("n2").filtered
            #expect(lost > 180 && lost < 320, "lost \(lost) of 1000")
        }
    }

    @Test func duplicatesArriveTwice() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(duplicate: 1))
            n1.send(to: "n2", 1...10)
            try await eventually("each message twice") { n2.markers(from: "n1").count == 20 }
            #expect(n2.markers(from: "n1") == (1...10).flatMap { [UInt64($0), UInt64($0)] })
        }
    }

    @Test func reorderLetsLaterMessagesOvertake() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(links: ["n2": LinkFault(reorder: 0.3)]))
            n1.send(to: "n2", 1...100)
            try await eventually("all arrive") { n2.markers(from: "n1").count == 100 }
            let got = n2.markers(from: "n1")
            #expect(Set(got) == Set(1...100))
            #expect(got != got.sorted(), "some messages were overtaken")
        }
    }

    @Test func aFaultOnOneLinkLeavesTheOthersAlone() async throws {
        try await withNodes(["n1", "n2", "n3"]) { nodes, _ in
            let (n1, n2, n3) = (nodes[0], nodes[1], nodes[2])
            n1.transport.setFaults(FaultRules(links: ["n2": LinkFault(delayMs: 10_000, loss: 0.5)]))
            let clock = ContinuousClock()
            let start = clock.now
            n1.send(to: "n3", 1...50)
            n1.send(to: "n2", 1...50)
            try await eventually("n1 -> n3 flows untouched") { n3.markers(from: "n1") == Array(1...50) }
            #expect(clock.now - start < .seconds(5))
            #expect(n2.markers(from: "n1").isEmpty && n1.stats("n3").filtered == 0)
        }
    }

    @Test func linkFaultsAddToTheOnesOnEveryLink() {
        let rules = FaultRules(delayMs: 50, loss: 0.5, links: ["n2": LinkFault(delayMs: 100, jitterMs: 20, loss: 0.5)])
        #expect(rules.outbound(to: "n2") == LinkFault(delayMs: 150, jitterMs: 20, loss: 0.75))
        #expect(rules.outbound(to: "n3") == LinkFault(delayMs: 50, loss: 0.5))
        #expect(!FaultRules(links: ["n2": LinkFault(reorder: 0.1)]).isClean)
        #expect(FaultRules(links: ["n2": LinkFault()]).isClean)
        #expect(FaultRules(jitterMs: -3, duplicate: 2, links: ["n2": LinkFault(loss: -1), "n3": LinkFault(reorder: 0.5)]).clamped
            == FaultRules(duplicate: 1, links: ["n3": LinkFault(reorder: 0.5)]))
    }

    @Test func theOldJSONStillDecodesAndBadValuesAreRefused() throws {
        let old = try JSONDecoder().decode(FaultRules.self, from: Data(#"{"drop":["n3"],"delayMs":5,"loss":0.1}"#.utf8))
        #expect(old == FaultRules(drop: ["n3"], delayMs: 5, loss: 0.1))
        let new = try JSONDecoder().decode(FaultRules.self, from: Data(#"{"links":{"n2":{"delayMs":100,"jitterMs":20}}}"#.utf8))
        #expect(new.links["n2"] == LinkFault(delayMs: 100, jitterMs: 20))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FaultRules.self, from: Data(#"{"links":{"n2":{"loss":2}}}"#.utf8)) }
        let back = try JSONDecoder().decode(FaultRules.self, from: try JSONEncoder().encode(new))
        #expect(back == new)
    }
}
