import Foundation
@testable import PeerTransport
import RaftCore
import Testing
import TestSupport

@Suite struct FaultFilterTests {
    @Test func dropOutStopsOnlyOurOutboundTraffic() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(drop: ["n2"], direction: .out))
            n1.send(to: "n2", 1...5)
            try await eventually("n1 filters 5 outbound") { n1.stats("n2").filtered == 5 }
            n2.send(to: "n1", [100])
            try await eventually("n2 -> n1 still flows") { n1.markers(from: "n2") == [100] }
            n1.transport.setFaults(FaultRules())
            n1.send(to: "n2", [6])
            try await eventually("n1 -> n2 restored") { n2.markers(from: "n1") == [6] }
        }
    }

    @Test func dropInStopsOnlyOurInboundTraffic() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(drop: ["n2"], direction: .in))
            n2.send(to: "n1", 1...5)
            try await eventually("n1 filters 5 inbound") { n1.stats("n2").filtered == 5 }
            #expect(n1.stats("n2").framesReceived == 5)
            n1.send(to: "n2", [100])
            try await eventually("n1 -> n2 still flows") { n2.markers(from: "n1") == [100] }
            n1.transport.setFaults(FaultRules())
            n2.send(to: "n1", [6])
            // Same connection, so had 1...5 been delivered they would have arrived first.
            try await eventually("n2 -> n1 restored") { n1.markers(from: "n2") == [6] }
        }
    }

    @Test func dropBothStopsTrafficBothWays() async throws {
        try await withNodes(["n1", "n2", "n3"]) { nodes, _ in
            let (n1, n2, n3) = (nodes[0], nodes[1], nodes[2])
            n1.transport.setFaults(FaultRules(drop: ["n2"]))
            n1.send(to: "n2", 1...3)
            n2.send(to: "n1", 1...3)
            n3.send(to: "n1", [7])
            try await eventually("n1 filters both ways") { n1.stats("n2").filtered == 6 }
            try await eventually("n3 is unaffected") { n1.markers(from: "n3") == [7] }
            n1.transport.setFaults(FaultRules())
            n1.send(to: "n2", [4])
            n2.send(to: "n1", [4])
            try await eventually("n1 -> n2 restored") { n2.markers(from: "n1") == [4] }
            try await eventually("n2 -> n1 restored") { n1.markers(from: "n2") == [4] }
        }
    }

    @Test func totalLossDropsEverythingUntilCleared() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(loss: 1.0))
            n1.send(to: "n2", 1...50)
            try await eventually("all 50 lost") { n1.stats("n2").filtered == 50 }
            #expect(n1.stats("n2").framesSent == 0)
            n1.transport.setFaults(FaultRules())
            n1.send(to: "n2", [51])
            try await eventually("traffic restored") { n2.markers(from: "n1") == [51] }
        }
    }

    @Test func partialLossDropsSomeAndDeliversTheRestInOrder() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(loss: 0.3))
            n1.send(to: "n2", 1...1000)
            try await eventually("every message accounted for") {
                n1.stats("n2").filtered + n2.received.count == 1000
            }
            let lost = n1.stats("n2").filtered
            #expect(lost > 150 && lost < 450)
            let got = n2.markers(from: "n1")
            #expect(got == got.sorted())
        }
    }

    @Test func delayHoldsMessagesBackAtLeastThatLong() async throws {
        try await withNodes(["n1", "n2"]) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(delayMs: 300))
            #expect(n1.transport.faults.delayMs == 300)
            let clock = ContinuousClock()
            let start = clock.now
            n1.send(to: "n2", [1, 2])
            try await eventually("delayed messages arrive") { n2.markers(from: "n1") == [1, 2] }
            #expect(clock.now - start >= .milliseconds(300))
            n1.transport.setFaults(FaultRules())
            #expect(n1.transport.faults.isClean)
            n1.send(to: "n2", [3])
            try await eventually("undelayed traffic") { n2.markers(from: "n1") == [1, 2, 3] }
        }
    }

    @Test func messagesHeldByTheDelayAreBoundedByTheQueueLimit() async throws {
        try await withNodes(["n1", "n2"], configure: { _, c in c.sendQueueLimit = 8 }) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setFaults(FaultRules(delayMs: 200))
            n1.send(to: "n2", 1...20)
            try await eventually("the first 8 arrive") { n2.markers(from: "n1") == Array(1...8) }
            #expect(n1.stats("n2").dropped == 12)
        }
    }

    @Test func rulesAreClampedAndDescribed() {
        var rules = FaultRules(drop: ["n3", "n2"], direction: .in, delayMs: -5, loss: 3)
        rules = rules.clamped
        #expect(rules.delayMs == 0 && rules.loss == 1)
        #expect(rules.description == "drop in n2,n3, loss 100%", "shares read as the operator gave them")
        #expect(FaultRules().isClean && FaultRules().description == "none")
        #expect(FaultRules(drop: ["n2"], direction: .in).dropsInbound(from: "n2"))
        #expect(!FaultRules(drop: ["n2"], direction: .in).dropsOutbound(to: "n2"))
        #expect(FaultRules(drop: ["n2"], direction: .out).dropsOutbound(to: "n2"))
        #expect(!FaultRules(drop: ["n2"], direction: .out).dropsInbound(from: "n2"))
        #expect(FaultRules(drop: ["n2"]).dropsInbound(from: "n2") && FaultRules(drop: ["n2"]).dropsOutbound(to: "n2"))
    }

    @Test func rulesCodeAsJSON() throws {
        let rules = FaultRules(drop: ["n3", "n2"], direction: .out, delayMs: 20, loss: 0.25)
        let json = String(decoding: try JSONEncoder().encode(rules), as: UTF8.self)
        #expect(json.contains(#""direction":"out""#) && json.contains(#""drop":["n2","n3"]"#))
        #expect(try JSONDecoder().decode(FaultRules.self, from: Data(json.utf8)) == rules)
        let partial = try JSONDecoder().decode(FaultRules.self, from: Data(#"{"drop":["n1"],"direction":"in"}"#.utf8))
        #expect(partial == FaultRules(drop: ["n1"], direction: .in))
        #expect(try JSONDecoder().decode(FaultRules.self, from: Data("{}".utf8)).isClean)
        for bad in [#"{"loss":1.5}"#, #"{"delayMs":-1}"#, #"{"direction":"sideways"}"#] {
            #expect(throws: (any Error).self, "\(bad)") { try JSONDecoder().decode(FaultRules.self, from: Data(bad.utf8)) }
        }
    }
}
