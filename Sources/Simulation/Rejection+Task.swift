import TaskQueue

extension Rejection {
    /// The task a rejection is about, if any.
    var task: TaskID? {
        switch self {
        case .unknownTask(let t): t
        case .staleEpoch(let t, _, _), .wrongNode(let t, _, _), .invalidState(let t, _, _): t
        case .invalidSpec: nil
        }
    }
}
