import ArgumentParser
import Foundation
import Orchestrator

/// `flotilla history FILE`: checks a transcript's client history for linearizability.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Check a transcript's client history (submits and linearizable reads) for linearizability.",
        discussion: """
            Prints the verdict; when the history is not linearizable, the smallest failing window as a timeline: \
            a lane per client, each operation a bar from call to return (the one that cannot be ordered drawn ┣━━┫ ✕), \
            and the operator's actions and leader changes of that window as ▲ marks. Exit status: 0 linearizable, \
            1 not linearizable, 3 unknown (the check ran out of time). --export writes the history as Jepsen-style \
            JSON Lines (invoke/ok/fail/info, f add or read), which elle-cli's set-full checker reads.
            """
    )

    @Argument(help: "A transcript (JSON Lines) recorded by the console, load, chaos or replay.") var file: String
    @Option(help: "Write the history as Jepsen-style JSON Lines to this file.") var export: String?
    @Option(help: "Give up (verdict unknown) after this long, e.g. 10s.") var timeout = "10s"
    @Option(help: "Timeline width in columns (default: the terminal's, else 100).") var width: Int?

    func run() async throws {
        let limit = try parseDuration(timeout, "--timeout")
        let transcript: Transcript
        do { transcript = try Transcript.read(file) } catch { throw fail("\(error)") }
        let report = HistoryReport(transcript, within: limit)
        if let export {
            do { try report.jsonLines.write(toFile: export, atomically: true, encoding: .utf8) } catch {
                throw fail("cannot write \(export): \(error.localizedDescription)")
            }
        }
        print(report.summary)
        for line in report.timeline(width: width ?? (isatty(STDOUT_FILENO) != 0 ? terminalSize().width : 100)) { print(line) }
        switch report.verdict.word {
        case "violated": throw ExitCode(1)
        case "unknown": throw ExitCode(3)
        default: return
        }
    }
}
