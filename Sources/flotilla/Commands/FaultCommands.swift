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
    0 clears the fault; `flotilla heal` clears every fault.
    """

/// A share of messages: `10%`, or a fraction such as `0.1`.
func parseShare(_ text: String) throws -> Double {
    do { return try FaultValue.share(text) } catch { throw fail("\(error)") }
}

/// A duration in whole milliseconds: `100ms`, `1s`, `0`.
func parseMs(_ text: String, _ what: String) throws -> Int {
    do { return try FaultValue.milliseconds(text, what) } catch { throw fail("\(error)") }
}

struct DelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delay", abstract: "Hold back the Raft messages on some links.",
                                                    discussion: linksHelp)
    @Argument(help: "Which links (see below).") var links: String
    @Argument(help: "The delay, e.g. 100ms.") var delay: String
    @Option(help: "Each message is delayed by the delay plus or minus up to this much.") var jitter = "0ms"
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let ms = try parseMs(delay, "the delay")
        let jitterMs = try parseMs(jitter, "--jitter")
        try await perform(cluster, { control in
            try await control.delay(links, ms: ms, jitter: jitterMs)
            return Outcome(message: "delay on \(links): \(ms)ms" + (jitterMs > 0 ? "±\(jitterMs)ms" : ""))
        }, table: \.message)
    }
}

/// `loss`, `duplicate` and `reorder`: a share of the messages on some links.
struct ShareArguments: ParsableArguments {
    @Argument(help: "Which links (see below).") var links: String
    @Argument(help: "The share of messages, e.g. 10% or 0.1.") var share: String
    @OptionGroup var cluster: ClusterOptions

    func run(_ verb: String, _ operation: @escaping (ClusterControl, String, Double) async throws -> Void) async throws {
        let fraction = try parseShare(share)
        try await perform(cluster, { control in
            try await operation(control, links, fraction)
            return Outcome(message: "\(verb) on \(links): \(fraction * 100)%")
        }, table: \.message)
    }
}

struct LossCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "loss", abstract: "Lose a share of the Raft messages on some links.",
                                                    discussion: linksHelp)
    @OptionGroup var arguments: ShareArguments
    func run() async throws { try await arguments.run("loss") { try await $0.loss($1, fraction: $2) } }
}

struct DuplicateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "duplicate", abstract: "Send a share of the Raft messages on some links twice.",
                                                    discussion: linksHelp)
    @OptionGroup var arguments: ShareArguments
    func run() async throws { try await arguments.run("duplicate") { try await $0.duplicate($1, fraction: $2) } }
}

struct ReorderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reorder", abstract: "Let later Raft messages overtake a share of earlier ones on some links.",
                                                    discussion: linksHelp)
    @OptionGroup var arguments: ShareArguments
    func run() async throws { try await arguments.run("reorder") { try await $0.reorder($1, fraction: $2) } }
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

            """ + nodeHelp)
    @Argument(help: "Which node (see below).") var node: String
    @Argument(help: "slow DURATION, full or ok.") var fault: [String]
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let parsed: DiskFault
        do { parsed = try DiskFault.parse(fault) } catch { throw fail("\(error)") }
        try await perform(cluster, { control in
            try await control.disk(node, parsed)
            return Outcome(message: "disk of \(node): \(fault.joined(separator: " "))")
        }, table: \.message)
    }
}

struct SkewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skew", abstract: "Run a node's timers fast or slow (its election and heartbeat timeouts).",
        discussion: """
            flotilla skew n2 3x     n2's timers fire three times too early: it starts elections early
            flotilla skew n2 0.5x   twice too late: as leader its heartbeats come late
            flotilla skew n2 1x     a true clock again

            """ + nodeHelp)
    @Argument(help: "Which node (see below).") var node: String
    @Argument(help: "The rate, from 0.1x to 10x.") var rate: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let r: Double
        do { r = try parseClockRate(rate) } catch { throw fail("\(error)") }
        try await perform(cluster, { control in
            try await control.skew(node, rate: r)
            return Outcome(message: "clock of \(node): \(rate)")
        }, table: \.message)
    }
}
