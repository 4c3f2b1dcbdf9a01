import ArgumentParser
import Foundation
import Orchestrator

struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transfer", abstract: "Hand leadership to a node, or to the most caught-up voter.")
    @Argument(help: "The node to lead (default: the most caught-up voter).") var node: String?
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        try await perform(cluster, { control in
            let leader = try await control.transfer(to: node)
            return Outcome(message: "\(leader) is the leader")
        }, table: \.message)
    }
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
    @Option(help: "With -1: the node to remove (default: a learner, else the newest follower).") var node: String?
    @Flag(help: "Delete the removed nodes' data dirs.") var purge = false
    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        guard changes.count == 1 else { throw ValidationError("scale takes one change: +K, -K or a size N") }
    }

    func run() async throws {
        guard let amount = Int(change.hasPrefix("+") ? String(change.dropFirst()) : change) else {
            throw ValidationError("scale takes +K, -K or a size N (got \"\(change)\")")
        }
        let relative = change.hasPrefix("+") || change.hasPrefix("-")
        if node != nil, !(relative && amount == -1) { throw ValidationError("--node goes with scale -1") }
        try await perform(cluster, { control in
            let current = await control.snapshot().members.count
            let target = relative ? current + amount : amount
            if target < 1 { throw OrchestratorError("cannot scale below one node (the cluster has \(current))") }
            if let node { return Outcome(message: "removed \(try await control.scaleDown(node, purge: purge)); \(current - 1) nodes") }
            var changed: [String] = []
            while await control.snapshot().members.count > target { changed.append(try await control.scaleDown(purge: purge)) }
            changed += try await control.scale(to: target)
            return Outcome(message: changed.isEmpty ? "already \(target) nodes" : "\(target) nodes (changed \(changed.joined(separator: ", ")))")
        }, table: \.message)
    }
}

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Admit (or --deny) a node whose join is pending (clusters started with --approve-joins).")
    @Argument(help: "The joining node's id.") var node: String
    @Flag(help: "Turn the node away instead.") var deny = false
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        try await perform(cluster, { control in
            try await control.approve(node, deny: deny)
            return Outcome(message: deny ? "denied \(node)" : "approved \(node); it joins as a learner")
        }, table: \.message)
    }
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
    @Argument(help: "Node id.") var node: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        try await perform(cluster, { control in
            try await control.replace(node)
            return Outcome(message: "replaced \(node): a new incarnation caught up and votes")
        }, table: \.message)
    }
}
