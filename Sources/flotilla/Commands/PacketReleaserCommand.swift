import ArgumentParser
import Orchestrator

/// `flotilla packet-releaser`: the process that holds a namespace lab's queued packets for
/// their delay. Started by `flotilla delay`/`reorder` on a `--net netns` cluster inside the
/// switch namespace, stopped by heal; not for typing.
struct PacketReleaserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packet-releaser", abstract: "Hold a namespace lab's NFQUEUE packets for their delay (started by delay/reorder).",
        shouldDisplay: false)

    @Option(help: "The plan file (packet-delay.json in the cluster directory); its removal stops the releaser.") var plan: String
    @Option(help: "Where to write the releaser's counts.") var stats: String

    func run() throws {
        try PacketDelayReleaser(planPath: plan, statsPath: stats).run()
    }
}
