import FlotillaAPI
import Foundation

extension ClusterControl {
    /// Replaces a member whose data is gone (or that should start over): hands leadership away
    /// if it leads, removes it from the membership, stops its process, sets its data directory
    /// aside (renamed, not deleted), starts it again empty under the same id and addresses, which
    /// draws a new incarnation, joins it as a learner, waits until it has caught up and promotes it.
    /// etcd's rule for a member that lost its data dir, as one command.
    @discardableResult
    public func replace(_ id: String, timeout: Duration = .seconds(60)) async throws -> String {
        try await act("replace \(id)", node: id, OperatorAction(verb: "replace", target: id)) {
            let (launcher, node) = try localNode(id)
            var s = await snapshot()
            if s.members.contains(where: { $0.id == id }) {
                if s.voters == [id] { throw OrchestratorError("cannot replace \(id): it is the only voter, and the cluster's data would go with it") }
                let others = s.voters.filter { $0 != id }
                let live = others.filter { s.node($0)?.live != nil }
                if live.count < others.count / 2 + 1 {
                    throw OrchestratorError("cannot replace \(id): without it \(live.count) of \(others.count) voters answer, "
                        + "fewer than the \(others.count / 2 + 1) needed to commit its removal; restart the others first")
                }
                if s.leader?.id == id {
                    events.emit(.action, node: id, "\(id) leads; transferring leadership away first", reason: "replace")
                    try await transfer()
                    s = await snapshot()
                }
                let _: OperationResult = try await admin.call("DELETE", try writeAddress(s), "/v1/members/\(id)")
                let (_, gone) = await client.wait(for: .seconds(10)) { !$0.members.contains { $0.id == id } }
                guard gone else { throw OrchestratorError("\(id) is still a member 10s after its removal was accepted") }
                events.emit(.action, node: id, "\(id) removed from the membership", reason: "replace")
            }
            if launcher.pid(of: node) != nil, !(await launcher.stop(node)) { throw OrchestratorError("\(id) did not stop") }
            let kept = try launcher.setAside(node.dataDir, as: "replaced")
            if let kept { events.emit(.action, node: id, "\(id)'s old data set aside as \(kept)", reason: "replace") }
            intents.update { $0.stopped.remove(id); $0.paused.remove(id) }
            let now = await snapshot()
            guard let leader = now.leader else { throw OrchestratorError("there is no leader to admit \(id) again; heal the cluster first") }
            try await launcher.ensureHost(id)
            let pid = try launcher.start(node, spec: try launcher.load(), mode: .join(leader.adminAddress))
            events.emit(.action, node: id, "started \(id) empty (pid \(pid)); joining through \(leader.id)", reason: "replace")
            try await admitJoined(node, timeout: timeout, reason: "replace")
            return (id, "\(id) replaced: a new incarnation caught up and votes")
        }
    }
}
