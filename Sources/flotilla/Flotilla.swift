import ArgumentParser

@main
struct Flotilla: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "A Raft cluster you can watch and break on purpose.",
        subcommands: [ConsoleCommand.self, UpCommand.self, DownCommand.self, StatusCommand.self, NodeCommand.self, SimCommand.self, BenchCommand.self]
    )
}
