import FlotillaAPI
import Foundation

extension ClusterControl {
    /// Ends a node through its admin API (`POST /v1/faults/crash`), as SIGKILL would, for a node
    /// this machine cannot signal; waits until it no longer answers.
    public func crash(_ id: String) async throws {
        let s = await snapshot()
        try await act("kill \(id)", node: id, OperatorAction(verb: "kill", target: id)) {
            let o = try member(id, in: s)
            guard o.up else { throw OrchestratorError("\(id) is not answering") }
            do {
                let _: OperationResult = try await admin.call("POST", o.adminAddress, "/v1/faults/crash", timeout: .seconds(2))
            } catch let refused as APIError where refused.code != .unavailable {
                throw refused  // the node answered and refused (a wrong token): it lives
            } catch {
                // The node exits at once: the answer may never come. Whether it died is checked below.
            }
            let (_, gone) = await client.wait(for: .seconds(5)) { !($0.node(id)?.up ?? false) }
            guard gone else { throw OrchestratorError("\(id) still answers 5 s after POST /v1/faults/crash") }
            return ((), "crashed through its admin API")
        }
    }

    /// Freezes a node's Raft loop and admin answers for `span` through its admin API
    /// (`POST /v1/faults/freeze`), as SIGSTOP would; it thaws by itself.
    public func freeze(_ id: String, for span: Duration) async throws {
        let s = await snapshot()
        try await act("pause \(id)", node: id, OperatorAction(verb: "pause", target: id)) {
            let o = try member(id, in: s)
            let request = FreezeRequest(ms: span.milliseconds)
            if let problem = request.problem { throw OrchestratorError(problem) }
            let _: OperationResult = try await admin.call("POST", o.adminAddress, "/v1/faults/freeze", body: request, timeout: .seconds(2))
            return ((), "frozen for \(span) through its admin API; it thaws by itself")
        }
    }
}
