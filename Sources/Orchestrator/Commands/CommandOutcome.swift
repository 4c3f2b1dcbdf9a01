import FlotillaAPI
import Foundation

/// What a performed command came to, typed so each face prints it its own way (a line, JSON,
/// an event) and a heal that could not be verified is told apart from one that was.
public enum CommandOutcome: Sendable, Equatable {
    /// Done; what happened, in words.
    case done(String)
    /// heal or panic: the verification.
    case healed(HealReport)
    /// A partition, as the plan reads (`{n1,n2} | {n3}`).
    case partitioned(String)
    /// transfer: who leads now.
    case leader(String)
    /// scale: the nodes added or removed, and how many members there are now.
    case scaled(changed: [String], members: Int)
    case submitted([SubmitResult])

    /// False only for a heal (or panic) whose verification did not complete.
    public var ok: Bool {
        if case .healed(let report) = self { return report.complete }
        return true
    }

    /// One line for a terminal.
    public var message: String {
        switch self {
        case .done(let text): text
        case .healed(let report): "heal " + report.summary
        case .partitioned(let plan): "partitioned: \(plan)"
        case .leader(let id): "\(id) is the leader"
        case .scaled(let changed, let members):
            changed.isEmpty ? "already \(members) nodes" : "\(members) nodes (changed \(changed.joined(separator: ", ")))"
        case .submitted(let results):
            results.map { "submitted \($0.id)" + ($0.duplicate ? " (already there: same key)" : "") }.joined(separator: "\n")
        }
    }
}
