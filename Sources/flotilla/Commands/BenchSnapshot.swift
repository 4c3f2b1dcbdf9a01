import ArgumentParser
import FlotillaNode

struct BenchSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "What a snapshot costs the Raft loop: encoding the task table, against handing a frozen copy to another thread.",
        discussion: "Prints: bench snapshot: tasks=N bytes=B encode_p50_ms=E hand_off_p50_ms=H encode_max_ms=… hand_off_max_ms=… loop_saving=E/Hx"
    )

    @Option(help: "Finished tasks in the table.") var tasks = 100_000
    @Option(help: "Rounds to measure.") var rounds = 7

    func run() throws {
        guard tasks >= 1, rounds >= 1 else { throw ValidationError("--tasks and --rounds must be at least 1") }
        print(SnapshotCostBenchmark(tasks: tasks, rounds: rounds).run().line)
    }
}
