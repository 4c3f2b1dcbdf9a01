import FlotillaAPI
import Foundation
@testable import Orchestrator
import Testing

@Suite("Link faults")
struct LinkFaultTranscriptTests {
    let members = ["n1", "n2", "n3"]

    @Test func theLinkFaultActionsRoundTripThroughATranscript() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("link-faults-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let header = TranscriptHeader(started: Date(timeIntervalSince1970: 1_800_000_000), cluster: .init(nodes: 3, ids: members, nodeArgs: []),
                                      recover: "advise", seed: 7, terminal: .init(width: 80, height: 24), source: "test")
        let w = try TranscriptWriter.create("\(dir)/l.jsonl", header: header)
        let events = EventSink()
        let recorder = TranscriptRecorder(writer: w, events: events)
        let t0 = w.startedAt
        let actions = [
            OperatorAction(verb: "delay", target: "n1->n2", args: ["ms": "100", "jitter": "20"], by: "cli", startedAt: t0.addingTimeInterval(1)),
            OperatorAction(verb: "loss", target: "n3", args: ["fraction": "0.1"], by: "cli", startedAt: t0.addingTimeInterval(2)),
            OperatorAction(verb: "duplicate", target: "all", args: ["fraction": "0.05"], by: "cli", startedAt: t0.addingTimeInterval(3)),
            OperatorAction(verb: "reorder", target: "n1<->n2", args: ["fraction": "0.2"], by: "cli", startedAt: t0.addingTimeInterval(4)),
        ]
        for a in actions {
            events.emit(ControlEvent(.action, "\(a.summary): set", reason: "operator", at: a.startedAt, category: a.verb, action: a))
        }
        recorder.stop()
        let read = try Transcript.read("\(dir)/l.jsonl").actions
        #expect(read.map(\.verb) == ["delay", "loss", "duplicate", "reorder"])
        #expect(read.map(\.target) == ["n1->n2", "n3", "all", "n1<->n2"])
        #expect(read.map(\.args) == actions.map(\.args))
        #expect(read.map(\.t) == [1, 2, 3, 4])
    }

    @Test func linkSpecsNameTheDirectedLinks() throws {
        typealias L = LinkSelection.Link
        #expect(try LinkSelection.parse("all", members: members) == .all)
        #expect(try LinkSelection.parse("n1->n2", members: members) == .links([L(from: "n1", to: "n2")]))
        #expect(try LinkSelection.parse(" n1 <-> n2 ", members: members) == .links([L(from: "n1", to: "n2"), L(from: "n2", to: "n1")]))
        #expect(try LinkSelection.parse("n3", members: members)
            == .links([L(from: "n3", to: "n1"), L(from: "n1", to: "n3"), L(from: "n3", to: "n2"), L(from: "n2", to: "n3")]))
        for bad in ["n9", "n1->n9", "n1->n1", "n1->n2->n3", ""] {
            #expect(throws: OrchestratorError.self) { try LinkSelection.parse(bad, members: members) }
        }
    }

    @Test func statusNotesShowLinkFaults() {
        let spec = FaultSpec(links: ["n2": LinkFaultSpec(delayMs: 100, jitterMs: 20, loss: 0.1)])
        #expect(spec.linkSummary == "->n2 delay 100ms±20 loss 10%")
        #expect(FaultSpec(delayMs: 50).linkSummary == "->all delay 50ms")
        #expect(FaultSpec(drop: ["n2"]).linkSummary == nil)
        #expect(!spec.isClean && spec.problem == nil)
        #expect(FaultSpec(links: ["n2": LinkFaultSpec(reorder: 1.5)]).problem == "links.n2.reorder must be between 0 and 1")
        #expect(FaultSpec(jitterMs: -1).problem == "jitterMs must be between 0 and 60000")
    }
}
