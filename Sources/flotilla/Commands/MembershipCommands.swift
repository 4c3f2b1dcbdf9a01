import ArgumentParser
import Foundation
import Orchestrator

struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transfer", abstract: "Hand leadership to a node, or to the most caught-up voter.")
    @Argument(help: "The node to lead (default: the most caught-up voter).", completion: NodeCompletion.ids) var node: String?
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["transfer"] + (node.map { [$0] } ?? [])) }
}

struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Add or remove nodes: +1, -1, or a target size.",
        discussion: """
            +1 spawns a node, joins it as a learner, waits until it caught up, then promotes it.
            -1 removes a node (leadership moves away first if it leads), stops it and keeps its data dir unless --purge.
            """)
    @Argument(parsing: .allUnrecognized, help: "+K, -K or N.") var changes: [String] = []
    var change: String { changes.first ?? "" }
    @Option(help: "With -1: the node to remove (default: a learner, else the newest follower).", completion: NodeCompletion.ids) var node: String?
    @Flag(help: "Delete the removed nodes' data dirs.") var purge = false
    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        guard changes.count == 1 else { throw ValidationError("scale takes one change: +K, -K or a size N") }
    }

    func run() async throws {
        try await perform(cluster, words: ["scale", change] + (node.map { [$0] } ?? []) + (purge ? ["--purge"] : []))
    }
}

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Admit (or --deny) a node whose join is pending (clusters started with --approve-joins).")
    @Argument(help: "The joining node's id.") var node: String
    @Flag(help: "Turn the node away instead.") var deny = false
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: [deny ? "deny" : "approve", node]) }
}

struct ReplaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replace", abstract: "Replace a member whose data is gone: remove it, start it empty, catch it up, promote it.",
        discussion: """
            For a node that refuses to start because its data directory was lost ("its data is gone"), or one that \
            should start over. Leadership moves away first if it leads; its old data dir is renamed aside, not deleted; \
            it joins again under the same id and addresses with a new incarnation, as a learner, and is promoted once \
            caught up. Needs a quorum of the other voters.
            """)
    @Argument(help: "Node id.", completion: NodeCompletion.ids) var node: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["replace", node]) }
}
