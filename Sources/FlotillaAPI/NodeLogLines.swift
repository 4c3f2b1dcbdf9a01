/// The lines a node and its launcher write into the node's log for the control plane to read
/// back: why the node ended (`NodeExit`). One place, so writer and reader cannot drift.
public enum NodeLogLines {
    /// What the node writes before its reason when it dies (trap, fatal storage error, broken invariant).
    public static func diedPrefix(_ node: String) -> String { "flotilla node \(node): died: " }
    /// What every line the node writes about itself, outside its logger, starts with.
    public static func nodePrefix(_ node: String) -> String { "flotilla node \(node): " }
    /// The node's last log message after a graceful shutdown (SIGTERM or SIGINT).
    public static let shutDown = "shut down on request"
    /// What the launcher's notes (starting, killing, stopping a node) start with.
    public static let launcherPrefix = "flotilla: "
    public static func starting(_ node: String) -> String { "starting \(node)" }
}
