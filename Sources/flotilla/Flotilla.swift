import ArgumentParser
import FlotillaAPI

@main
struct Flotilla: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "A Raft cluster you can watch and break on purpose.",
        // `flotilla --version`: the one constant nodes also report in GET /v1/status and transcripts carry.
        version: flotillaVersion,
        subcommands: [
            ConsoleCommand.self, UpCommand.self, DownCommand.self, StatusCommand.self, MembersCommand.self,
            KillCommand.self, RestartCommand.self, PauseCommand.self, ResumeCommand.self,
            PartitionCommand.self, IsolateCommand.self, DelayCommand.self, LossCommand.self, DuplicateCommand.self, ReorderCommand.self, DiskCommand.self, SkewCommand.self, HealCommand.self, MendCommand.self, PanicCommand.self,
            TransferCommand.self, ScaleCommand.self, ReplaceCommand.self, ApproveCommand.self,
            SubmitCommand.self, TasksCommand.self, CancelCommand.self, LoadCommand.self, CheckCommand.self,
            SuperviseCommand.self, ReplayCommand.self, HistoryCommand.self, NodeCommand.self, SimCommand.self, ChaosCommand.self, BenchCommand.self,
            PacketReleaserCommand.self,
        ]
    )
}
