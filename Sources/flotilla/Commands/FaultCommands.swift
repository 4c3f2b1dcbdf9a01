import ArgumentParser
import Foundation
import Orchestrator

/// What the link-fault commands say about LINKS.
private let linksHelp = """
    LINKS is one of:
      'n1->n2'     n1's messages to n2
      'n1<->n2'    both ways between n1 and n2
      n3           every link out of and into n3
      all          every link of every node
    A duration is 250ms, 2s or 1m (a bare number other than 0 is refused); a share is 10% or 0.1.
    0 clears the fault; `flotilla heal` clears every fault.
    """

struct DelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delay", abstract: "Hold back the Raft messages on some links.",
                                                    discussion: linksHelp)
    @Argument(help: "Which links (see below).") var links: String
    @Argument(help: "The delay, e.g. 100ms.") var delay: String
    @Option(help: "Each message is delayed by the delay plus or minus up to this much, e.g. 20ms.") var jitter: String?
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        try await perform(cluster, words: ["delay", links, delay] + (jitter.map { ["--jitter", $0] } ?? []))
    }
}

/// `loss`, `duplicate` and `reorder`: a share of the messages on some links.
struct ShareArguments: ParsableArguments {
    @Argument(help: "Which links (see below).") var links: String
    @Argument(help: "The share of messages, e.g. 10% or 0.1.") var share: String
    @OptionGroup var cluster: ClusterOptions

    func run(_ verb: String) async throws { try await perform(cluster, words: [verb, links, share]) }
}

struct LossCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "loss", abstract: "Lose a share of the Raft messages on some links.",
                                                    discussion: linksHelp)
    @OptionGroup var arguments: ShareArguments
    func run() async throws { try await arguments.run("loss") }
}

struct DuplicateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "duplicate", abstract: "Send a share of the Raft messages on some links twice.",
                                                    discussion: linksHelp)
    @OptionGroup var arguments: ShareArguments
    func run() async throws { try await arguments.run("duplicate") }
}

struct ReorderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reorder", abstract: "Let later Raft messages overtake a share of earlier ones on some links.",
                                                    discussion: linksHelp)
    @OptionGroup var arguments: ShareArguments
    func run() async throws { try await arguments.run("reorder") }
}

/// What the node-fault commands say about NODE.
private let nodeHelp = """
    NODE is a node id, leader (the leader now) or all. A node that restarts starts without
    the fault; `flotilla heal` clears every fault.
    """

struct DiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk", abstract: "Make a node's disk slow, full, or healthy again.",
        discussion: """
            flotilla disk n2 slow 50ms   every fsync takes 50 ms longer
            flotilla disk n2 full        every write fails with ENOSPC (the node stalls, then goes on when freed)
            flotilla disk n2 ok          both cleared
            On etcd (a cluster made as root): full fills the tmpfs under the member's data dir, and
            etcd exits at its next database commit; ok empties it and starts the member again.

            """ + nodeHelp)
    @Argument(help: "Which node (see below).", completion: NodeCompletion.idsLeaderOrAll) var node: String
    @Argument(help: "slow DURATION, full or ok.") var fault: [String]
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["disk", node] + fault) }
}

struct SkewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skew", abstract: "Run a node's timers fast or slow (its election and heartbeat timeouts).",
        discussion: """
            flotilla skew n2 3x     n2's timers fire three times too early: it starts elections early
            flotilla skew n2 0.5x   twice too late: as leader its heartbeats come late
            flotilla skew n2 1x     a true clock again

            """ + nodeHelp)
    @Argument(help: "Which node (see below).", completion: NodeCompletion.idsLeaderOrAll) var node: String
    @Argument(help: "The rate, from 0.1x to 10x.") var rate: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["skew", node, rate]) }
}
