import BinaryCoding
import FlotillaAPI
import Foundation
@testable import Orchestrator
import Testing
import TestSupport

@Suite("Transcripts")
struct TranscriptTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("transcripts-\(UUID().uuidString.prefix(8))").path

    init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    func header(_ started: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> TranscriptHeader {
        TranscriptHeader(started: started, cluster: .init(nodes: 3, ids: ["n1", "n2", "n3"], nodeArgs: ["--slots", "2"]),
                         recover: "advise", seed: 7, terminal: .init(width: 160, height: 45), source: "test")
    }

    @Test func everyKindOfLineRoundTripsAndCarriesItsTime() throws {
        let path = "\(dir)/a.jsonl"
        let w = try TranscriptWriter.create(path, header: header())
        let events = EventSink()
        let recorder = TranscriptRecorder(writer: w, events: events)
        let t0 = w.startedAt
        let kill = OperatorAction(verb: "kill", target: "n2", by: "key k", startedAt: t0.addingTimeInterval(1.5), command: .kill(node: "n2"))
        events.emit(ControlEvent(.action, node: "n2", "kill n2: killed pid 7", reason: "operator", at: t0.addingTimeInterval(1.6), category: "kill", action: kill))
        events.emit(ControlEvent(.observed, node: "n3", "n3 elected leader, term 4 (0.41 s)", at: t0.addingTimeInterval(2), category: "election", durationMs: 410))
        recorder.record(LoadGenerator.Operation(key: "load-1", invokedAt: t0.addingTimeInterval(2.5), returnedAt: t0.addingTimeInterval(2.75),
                                                outcome: .ok, taskID: "t-1", error: nil))
        recorder.observe(tasks: [task("t-1", key: "load-1", state: .running, node: "n1")], at: t0.addingTimeInterval(3))
        recorder.stop()
        events.emit(.action, "after stop: not recorded")

        let t = try Transcript.read(path)
        #expect(t.header == header())
        #expect(t.header.version == 2, "version 2: actions carry their command")
        #expect(t.actions == [ActionLine(t: 1.5, verb: "kill", target: "n2", by: "key k", ok: true, result: "kill n2: killed pid 7", tookMs: 100,
                                         command: .kill(node: "n2"))])
        #expect(t.events.map(\.category) == ["election", "task"])
        #expect(t.events[0].durationMs == 410 && t.events[0].t == 2)
        #expect(t.events[1].task == "t-1" && t.events[1].state == .running && t.events[1].node == "n1")
        #expect(t.operations == [OperationLine(t: 2.5, returnedT: 2.75, key: "load-1", outcome: "ok", task: "t-1")])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").allSatisfy { $0.contains("\"t\":") && $0.contains("\"type\":") })
        #expect(!text.contains("after stop"))
    }

    @Test func aStatusLineIsWrittenOnlyWhenSomethingBesidesUptimeChanged() throws {
        let path = "\(dir)/b.jsonl"
        let w = try TranscriptWriter.create(path, header: header())
        let recorder = TranscriptRecorder(writer: w, events: EventSink())
        var s = snapshot([status("n1", role: .leader), status("n2"), status("n3")])
        recorder.observe(s)
        s.nodes[1].status?.uptimeMs += 5000
        recorder.observe(s)
        #expect(try Transcript.read(path).statuses.count == 1, "uptime alone is no change")
        s.nodes[2].up = false
        recorder.observe(s)
        let statuses = try Transcript.read(path).statuses
        #expect(statuses.count == 2)
        #expect(statuses[1].nodes.map(\.up) == [true, true, false] && statuses[1].leader == "n1")
        // The compact form draws again: roles, commits and who is down survive.
        let back = statuses[1].snapshot(startedAt: w.startedAt, seq: 0)
        #expect(back.leader?.id == "n1" && back.nodes.map(\.up) == [true, true, false] && back.voters == ["n1", "n2", "n3"])
    }

    @Test func appendingKeepsTheFirstHeaderAndItsClock() throws {
        let path = "\(dir)/c.jsonl"
        let started = Date().addingTimeInterval(-10)
        _ = try TranscriptWriter.create(path, header: header(started))
        let w = try TranscriptWriter.append(path) { Issue.record("a second header"); return header() }
        w.write(.event(EventLine(t: w.t(), kind: "observed", message: "later")))
        let t = try Transcript.read(path)
        #expect(t.lines.count == 1)
        // From the first session's start: at least the 10 s before this session (less a second
        // for the header's rounding), at most the time since that start however long this took.
        let since = Date().timeIntervalSince(started)
        #expect(t.events[0].t > 9 && t.events[0].t < since + 1, "t counts from the first session's start: \(t.events[0].t) of \(since)")
        #expect(try TranscriptWriter.append("\(dir)/new.jsonl") { header() }.linesWritten == 1, "a missing file gets a header")
    }

    @Test func aMalformedLineNamesItsNumber() throws {
        let good = try JSONEncoder().encode(TranscriptLine.header(header()))
        func parse(_ rest: String) -> String {
            do {
                _ = try Transcript.parse(good + Data(rest.utf8), file: "s.jsonl")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(parse("\n{\"type\":\"event\",\"t\":1,\"kind\":\"observed\",\"message\":\"m\",\"ok\":true}\n{oops}\n").hasPrefix("s.jsonl:3: malformed line"))
        #expect(parse("\n{\"type\":\"event\",\"t\":1}\n").contains("s.jsonl:2") && parse("\n{\"type\":\"event\",\"t\":1}\n").contains("missing"))
        #expect(parse("\n{\"type\":\"warp\",\"t\":1}\n").contains("unknown line type"))
        #expect(parse("\n{\"type\":\"event\",\"t\":-4,\"kind\":\"observed\",\"message\":\"m\",\"ok\":true}\n").contains("s.jsonl:2: t must be"))
        #expect(throws: TranscriptError.self) { try Transcript.parse(Data("not json\n".utf8), file: "x") }
        #expect(throws: TranscriptError.self) { try Transcript.parse(Data(), file: "x") }
    }

    @Test func aHalfWrittenLastLineIsLeftOutNotFatal() throws {
        var data = try JSONEncoder().encode(TranscriptLine.header(header()))
        data += Data("\n{\"type\":\"event\",\"t\":1,\"kind\":\"observed\",\"message\":\"m\",\"ok\":true}\n{\"type\":\"ev".utf8)
        let t = try Transcript.parse(data)
        #expect(t.truncatedLastLine && t.events.count == 1)
    }

    @Test func aNewerVersionIsRefusedWithAClearMessage() throws {
        var h = header()
        h.version = Transcript.version + 1
        let data = try JSONEncoder().encode(TranscriptLine.header(h)) + Data("\n".utf8)
        #expect(throws: TranscriptError.self) { try Transcript.parse(data) }
        do { _ = try Transcript.parse(data, file: "new.jsonl") } catch {
            #expect("\(error)".contains("version \(Transcript.version + 1) is newer") && "\(error)".contains("upgrade"))
        }
    }

    /// Random and mutated transcripts: the reader returns or throws, never traps.
    @Test func theReaderTakesOneHundredThousandMutatedInputs() async throws {
        try await heavy { () async throws in
            var seeds: [[UInt8]] = []
            let h = try JSONEncoder().encode(TranscriptLine.header(header()))
            let lines: [TranscriptLine] = [
                .action(ActionLine(t: 1, verb: "partition", target: "n1,n2|n3", args: ["a": "b"], by: "command", ok: true, result: "r", tookMs: 3)),
                .event(EventLine(t: 2, kind: "observed", category: "election", node: "n1", message: "m", durationMs: 5, task: "t-1", state: .running)),
                .op(OperationLine(t: 3, returnedT: 4, key: "k", outcome: "unknown", error: "timeout")),
                .status(StatusLine(snapshot([status("n1", role: .leader), status("n2")], down: ["n3"]), t: 5)),
            ]
            // A header and one line of each kind: short inputs keep 100,000 of them quick.
            for l in lines { seeds.append([UInt8](h) + [10] + [UInt8](try JSONEncoder().encode(l)) + [10]) }
            var rng = SplitMix64(seed: 42)
            var parsed = 0, refused = 0
            for i in 0..<100_000 {
                var input = seeds[Int(rng.next() % UInt64(seeds.count))]
                if i % 10 == 0 {
                    input = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                } else {
                    for _ in 0..<(1 + Int(rng.next() % 4)) where !input.isEmpty {
                        let at = Int(rng.next() % UInt64(input.count))
                        switch rng.next() % 4 {
                        case 0: input[at] = UInt8(truncatingIfNeeded: rng.next())
                        case 1: input.remove(at: at)
                        case 2:
                            let alphabet = Array("{}[]\",:0-9en\n".utf8)
                            input.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                        default: input = Array(input[..<at])
                        }
                    }
                }
                do {
                    _ = try Transcript.parse(Data(input))
                    parsed += 1
                } catch is TranscriptError {
                    refused += 1
                }
            }
            #expect(parsed + refused == 100_000)
            #expect(parsed > 1000 && refused > 1000, "the mutations hit both sides: \(parsed) parsed, \(refused) refused")
        }
    }
}
