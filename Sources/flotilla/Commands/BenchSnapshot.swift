import ArgumentParser
import FlotillaNode

struct BenchSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "What a snapshot costs the Raft loop: encoding the task table, against handing a frozen copy to another thread and the first changes after it; and on a follower, gathering the snapshot's chunks and installing it.",
        discussion: "Prints: bench snapshot: tasks=N remembered_keys=K bytes=B encode_p50_ms=E hand_off_p50_ms=H encode_max_ms=… hand_off_max_ms=… loop_saving=E/Hx "
            + "first_apply_after_capture_p50_ms=F first_apply_after_capture_max_ms=… steady_apply_p50_ms=S "
            + "install_chunks=C install_gather_p50_ms=G install_gather_chunk_max_ms=… install_hold_p50_ms=I install_hold_max_ms=… "
            + "(the follower's loop: all chunks but the last, at the node's 256 KiB, and the install, on a real disk in the temporary directory)"
    )

    @Option(help: "Finished tasks in the table.") var tasks = 100_000
    @Option(help: "Remembered keys of removed tasks (default: as many as --tasks).") var rememberedKeys: Int?
    @Option(help: "Rounds to measure.") var rounds = 7

    func run() throws {
        guard tasks >= 1, rounds >= 1 else { throw ValidationError("--tasks and --rounds must be at least 1") }
        guard (rememberedKeys ?? 0) >= 0 else { throw ValidationError("--remembered-keys must be at least 0") }
        let cost = SnapshotCostBenchmark(tasks: tasks, rememberedKeys: rememberedKeys, rounds: rounds).run()
        let install = try SnapshotInstallBenchmark(snapshot: cost.encoded, rounds: rounds).run()
        print(cost.line + " " + install.fields)
    }
}
