import ArgumentParser
import Foundation
import Orchestrator

/// `flotilla replay FILE`: runs a transcript's operator actions again on a fresh cluster.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a transcript's operator actions on a fresh local cluster and check the invariants.",
        discussion: """
            Starts a cluster with the header's spec, performs the recorded operator actions at their recorded \
            offsets, and checks the invariants and the task history throughout. It reproduces the operator's \
            side (actions, order, timing); it cannot reproduce the interleaving of messages, so leaders and \
            election times may differ from the recording. Exits 1 on a violation.
            """)

    @Argument(help: "A transcript written with --record.") var file: String
    @Option(help: "1 (as recorded), 2 (twice as fast), any factor, or max (each action once the cluster has a leader).") var speed = "1"
    @Option(help: "Cluster directory to create (must not exist; default: a temp dir, removed afterwards).") var dir: String?
    @Option(help: "Record the replay itself as a transcript.") var record: String?
    @Option(name: [.customShort("o"), .long], help: "Output: table or json.") var output: ClusterOptions.OutputFormat = .table

    func run() async throws {
        let transcript: Transcript
        do { transcript = try Transcript.read(file) } catch { throw fail("\(error)") }
        if transcript.truncatedLastLine { FileHandle.standardError.write(Data("flotilla: \(file): the last line was cut off; replaying the rest\n".utf8)) }
        let pace: ReplayRun.Speed
        if speed == "max" { pace = .max } else if let f = Double(speed), f > 0, f.isFinite { pace = .factor(f) } else {
            throw ValidationError("--speed takes 1, 2, another positive factor, or max")
        }
        if let dir, FileManager.default.fileExists(atPath: "\(dir)/cluster.json") {
            throw fail("\(dir) already holds a cluster; a replay needs a fresh one")
        }
        let quiet = output == .json
        if !quiet { print("replaying \(transcript.actions.filter(\.isOperators).count) actions from \(file) on \(transcript.header.cluster.nodes) nodes (speed \(speed))") }
        let out = record
        let replay = ReplayRun(transcript: transcript, speed: pace)
        let report: ReplayReport
        do {
            let session = try await replay.session(directory: dir, recorder: { engine in
                guard let out else { return nil }
                var header = TranscriptHeader(started: Date(), cluster: transcript.header.cluster, recover: transcript.header.recover, source: "replay")
                header.engine = transcript.header.engine
                header.net = transcript.header.net
                return (try? TranscriptWriter.create(out, header: header)).map { TranscriptRecorder(writer: $0, events: engine.events) }
            })
            report = try await replay.run(in: session) { line in if !quiet { print(line) } }
        } catch {
            throw fail("\(error)")
        }
        if quiet { print(jsonText(report)) } else { print(report.text.split(separator: "\n").dropFirst(report.steps.count + 1).joined(separator: "\n")) }
        if !report.ok { throw ExitCode(1) }
    }
}
