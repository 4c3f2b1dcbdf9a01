import AsyncHTTPClient
import FlotillaAPI
import Logging
import NIOCore
import NIOHTTP1
import TaskQueue

/// Carries a worker's report from a follower to the leader's admin API
/// (`POST /v1/tasks/{id}/report`). Fire and forget: the node's core sends a report again
/// until it sees its effect applied, so a lost request costs only a delay.
struct ReportForwarder: Sendable {
    let http: HTTPClient
    let token: String?
    let logger: Logger

    func send(_ command: Command, to leaderAdmin: String) {
        guard let (task, report) = TaskReport.from(command) else { return }
        var request = HTTPClientRequest(url: "http://\(leaderAdmin)/v1/tasks/\(task)/report")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(.json(report))
        Task { [http, logger] in
            do {
                let response = try await http.execute(request, timeout: .seconds(5))
                _ = try? await response.body.collect(upTo: 1 << 16)
            } catch {
                logger.debug("report of \(task) to \(leaderAdmin) failed (it will be sent again): \(error)")
            }
        }
    }
}

extension TaskReport {
    /// The report a worker's `start`, `complete` or `fail` command travels as.
    static func from(_ command: Command) -> (task: String, report: TaskReport)? {
        switch command {
        case let .start(task, node, epoch, _):
            (task, TaskReport(node: node, epoch: epoch, outcome: "started"))
        case let .complete(task, node, epoch, result, _):
            (task, TaskReport(node: node, epoch: epoch, outcome: "succeeded", result: result))
        case let .fail(task, node, epoch, message, _):
            (task, TaskReport(node: node, epoch: epoch, outcome: "failed", error: message))
        default:
            nil
        }
    }
}
