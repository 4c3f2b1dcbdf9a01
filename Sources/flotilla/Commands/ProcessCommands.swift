import ArgumentParser
import Foundation
import Orchestrator

struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill a node (SIGKILL). Recovery leaves it dead.")
    @Argument(help: "Node id.", completion: NodeCompletion.ids) var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await perform(cluster, words: ["kill", node]) }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop a node if it runs, and start it again on its data.")
    @Argument(help: "Node id.", completion: NodeCompletion.ids) var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await perform(cluster, words: ["restart", node], silentOK: true) }
}

struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze a node (SIGSTOP).")
    @Argument(help: "Node id.", completion: NodeCompletion.ids) var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await perform(cluster, words: ["pause", node]) }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Unfreeze a paused node (SIGCONT).")
    @Argument(help: "Node id.", completion: NodeCompletion.ids) var node: String
    @OptionGroup var cluster: ClusterOptions
    func run() async throws { try await perform(cluster, words: ["resume", node]) }
}
