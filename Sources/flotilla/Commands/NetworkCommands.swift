import ArgumentParser
import Foundation
import Orchestrator

struct PartitionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partition",
        abstract: "Cut the network into groups, or into a shape that knows the leader and the quorum.",
        discussion: """
            SPEC is one of:
              'n1,n2|n3'         groups; nodes named nowhere form one more group
              'n1->n2,n3'        one way: n1's traffic to n2 and n3 is dropped, theirs to n1 flows
              leader             isolate the leader
              minority           cut off the largest minority, the leader in it
              majorities-ring    every node sees a different majority (5+ nodes)
              bridge             two halves joined only through one follower
            Undo with `flotilla heal`.
            """
    )
    @Argument(help: "Partition spec (see below).") var spec: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["partition", spec]) }
}

struct IsolateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "isolate", abstract: "Cut one node (or `leader`) off from every other.")
    @Argument(help: "Node id, or `leader`.", completion: NodeCompletion.idsOrLeader) var node: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["isolate", node]) }
}

struct HealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heal", abstract: "Clear every fault rule, and verify every node and link is clean.",
        discussion: "Exits 1 while the heal is incomplete (a node does not answer, its rules do not read back clean, or a link carries no traffic).")
    @OptionGroup var cluster: ClusterOptions
    @Option(help: "How long to wait for the verification, e.g. 10s.", transform: TimeSpan.init(parsing:)) var timeout = TimeSpan(milliseconds: 5000)

    func run() async throws { try await perform(cluster, .heal, healTimeout: timeout.duration) }
}

struct MendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mend", abstract: "Undo the cuts on some links only: n1->n2, n1<->n2, n3 (every link of n3) or all.",
        discussion: "The other cuts, loss and delays stay; `flotilla heal` clears everything.")
    @Argument(help: "Links: n1->n2, n1<->n2, n3 or all.") var links: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["mend", links]) }
}

struct PanicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panic", abstract: "Emergency stop: heal everything, resume paused nodes, stop the load, recovery to advise.")
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, .panic) }
}
