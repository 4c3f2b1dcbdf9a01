import FlotillaAPI
import TaskQueue

extension FlotillaAPI.TaskState {
    /// The API's name for a state of the replicated queue (the same text on the wire).
    init(_ state: TaskQueue.TaskState) {
        self = .named(state.rawValue)
    }
}
