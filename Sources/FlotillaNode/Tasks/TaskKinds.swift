/// The task kinds a node knows how to run.
enum TaskKinds {
    /// `sleep {ms}`, `echo {text}`, `hash {rounds}`, `fail {message}`; `shell {command}` only with `--allow-shell`.
    static let all: Set<String> = ["sleep", "echo", "hash", "fail", "shell"]
}
