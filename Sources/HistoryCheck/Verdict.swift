/// What a linearizability check concluded.
public enum Verdict: Equatable, Sendable {
    /// Some order of the operations, each placed between its call and return, explains every answer.
    case linearizable
    /// No such order exists; the window shows the smallest part of the history that fails.
    case notLinearizable(FailingWindow)
    /// The check stopped before it could tell, and why.
    case unknown(reason: String)
}
