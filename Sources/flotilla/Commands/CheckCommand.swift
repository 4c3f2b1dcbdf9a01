import ArgumentParser
import Foundation
import Orchestrator

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Watch the safety invariants for a while; exit 1 on a violation.",
        discussion: """
            Checks: one leader per term; term and commit never go backwards on a node; \
            applied <= commit <= lastIndex; equal commit hashes at a common index; \
            no task finished twice, and assignment epochs only grow.
            """)
    @Option(help: "How long to watch, e.g. 5s.") var duration = "3s"
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let length = try parseDuration(duration, "--duration")
        let session = try await cluster.session(EngineCheck.sessionOptions)
        try await report(cluster, session, passed: \.ok, text: \.text) { await EngineCheck.watch($0, for: length) }
    }
}

/// `flotilla supervise`: the recovery loop as a background process (`flotilla up` starts one).
struct SuperviseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise", abstract: "Run recovery and the invariant monitor over a cluster until stopped.",
        discussion: "Every finding, action and violation is printed as a line. `flotilla up` runs this in the background with --recover auto.")
    @Option(help: "off, advise or auto.") var recover: RecoveryMode = .auto
    @Option(help: "Propose replacing a member down this long, e.g. 5m.") var replaceAfter: String?
    @Option(help: "Two automatic actions on one node within this need an operator.") var recoverCooldown = "30s"
    @Option(help: "The nodes' base election timeout in ms (for the no-leader alert).") var electionMs = 300
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let cooldown = try parseDuration(recoverCooldown, "--recover-cooldown")
        let replace = try replaceAfter.map { try parseDuration($0, "--replace-after") }
        let seconds = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        var options = SessionOptions()
        options.recovery = recover
        options.electionMs = electionMs
        options.replaceAfter = replace.map(seconds)
        options.recoveryCooldown = seconds(cooldown)
        options.stopOnSignal = true
        // Every event, the operator's actions too, as a stamped line on stdout (supervisor.log under `up`).
        let session = try await cluster.session(options, silentOK: true) { e in
            FileHandle.standardOutput.write(Data("\(e.at.formatted(.iso8601)) \(e.line)\n".utf8))
        }
        session.engine.events.emit(.recovery, "supervising \(session.engine.kind) with recovery \(recover.rawValue)", reason: "started")
        _ = try? await session.run { try await $0.untilStopped() }
    }
}

extension RecoveryMode: ExpressibleByArgument {}
