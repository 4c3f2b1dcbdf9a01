/// The operator command being performed, carried to the actions it runs as a task-local value,
/// so the action event that reports it (and the transcript line made from that) holds the
/// command itself. Cleared inside an action, so what an action does on the way carries none.
public enum CommandInFlight {
    @TaskLocal public static var current: OperatorCommand? = nil
}
