#if canImport(Glibc)
import Glibc
#endif

/// What a process just started again did within a bound: it answers (and how), it ended (and
/// why, from its log), or neither yet. `restart` reports it, so a node that refuses to start (its
/// port taken, its identity damaged, a priority it may not take) is an error naming the reason,
/// not "restarted", and a `status` right after a restart finds the node up.
enum StartOutcome: Equatable {
    case answering(String)
    case ended(String)
    case silent

    static let bound: Duration = .seconds(10)

    /// Polls `answer` (a description of the process's own status, nil while it does not answer)
    /// and `running` every 50 ms until one settles it or `bound` passes.
    static func watch(running: () -> Bool, answer: () async -> String?,
                      exit: () -> String?) async -> StartOutcome {
        await Poll.until(bound, every: .milliseconds(50)) { () async -> StartOutcome? in
            if let said = await answer() { return .answering(said) }
            return running() ? nil : .ended(exit() ?? "it ended without saying why")
        } ?? .silent
    }

    /// The action's outcome for `name` started as `pid`, or the error when it ended.
    func outcome(_ name: String, pid: pid_t?, log: String) throws -> String {
        let started = pid.map { "started pid \($0)" } ?? "started"
        switch self {
        case .answering(let how): return "\(started), \(how)"
        case .ended(let why): throw OrchestratorError("\(name) ended as it started: \(why) (its log: \(log))")
        case .silent: return "\(started); not answering after \(Self.bound) (its log: \(log))"
        }
    }
}
