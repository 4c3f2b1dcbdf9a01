import FlotillaAPI
import TaskQueue

/// A worker's report on a task it runs: `{"node", "epoch", "outcome": "started|succeeded|failed", "result", "error"}`.
struct TaskReport: Codable, Sendable {
    var node: String
    var epoch: UInt64
    var outcome: String
    var result: String?
    var error: String?

    func command(task: String, at: UInt64) throws(APIError) -> Command {
        switch outcome {
        case "started": return .start(task: task, node: node, epoch: epoch, at: at)
        case "succeeded": return .complete(task: task, node: node, epoch: epoch, result: result ?? "", at: at)
        case "failed": return .fail(task: task, node: node, epoch: epoch, message: error ?? "failed", at: at)
        default: throw APIError("outcome must be started, succeeded or failed", code: .badRequest)
        }
    }
}
