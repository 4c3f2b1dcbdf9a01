import ArgumentParser
import Foundation
import Orchestrator

/// kill / restart / pause / resume: one node's process.
struct ProcessCommand: AsyncParsableCommand {
    enum Op: String { case kill, restart, pause, resume }

    static let configuration = CommandConfiguration(commandName: "process", shouldDisplay: false)

    static func run(_ op: Op, _ node: String, _ cluster: ClusterOptions) async throws {
        try await perform(cluster, silentOK: op == .restart, { control in
            switch op {
            case .kill: try await control.kill(node)
            case .restart: try await control.restart(node)
            case .pause: try await control.pause(node)
            case .resume: try await control.resume(node)
            }
            let done = ["kill": "killed", "restart": "restarted", "pause": "paused", "resume": "resumed"][op.rawValue]!
            return Outcome(message: "\(done) \(node)")
        }, table: \.message)
    }
}

struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill a node (SIGKILL). Recovery leaves it dead.")
    @Argument(help: "Node id.") var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await ProcessCommand.run(.kill, node, cluster) }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop a node if it runs, and start it again on its data.")
    @Argument(help: "Node id.") var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await ProcessCommand.run(.restart, node, cluster) }
}

struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze a node (SIGSTOP).")
    @Argument(help: "Node id.") var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await ProcessCommand.run(.pause, node, cluster) }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Unfreeze a paused node (SIGCONT).")
    @Argument(help: "Node id.") var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await ProcessCommand.run(.resume, node, cluster) }
}
