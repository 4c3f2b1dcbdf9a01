import FlotillaAPI
import Foundation

/// What every node reported at one instant; a node that did not answer is kept, as down.
public struct ClusterView: Sendable {
    public struct Row: Sendable {
        public var id: String
        public var adminAddress: String
        public var status: NodeStatus?
        public var error: String?
    }

    public var rows: [Row]

    public var leader: NodeStatus? {
        rows.compactMap(\.status).filter { $0.role == "leader" }.max { $0.term < $1.term }
    }

    /// Polls every address in parallel.
    public static func fetch(_ members: [(id: String, admin: String)], client: AdminClient) async -> ClusterView {
        await withTaskGroup(of: (Int, Row).self) { group in
            for (i, m) in members.enumerated() {
                group.addTask {
                    do {
                        return (i, Row(id: m.id, adminAddress: m.admin, status: try await client.status(m.admin)))
                    } catch {
                        return (i, Row(id: m.id, adminAddress: m.admin, status: nil, error: "\(error)"))
                    }
                }
            }
            var rows: [(Int, Row)] = []
            for await r in group { rows.append(r) }
            return ClusterView(rows: rows.sorted { $0.0 < $1.0 }.map(\.1))
        }
    }

    /// Finds every member from any node that answers.
    public static func discover(_ addresses: [String], client: AdminClient) async throws -> [(id: String, admin: String)] {
        var lastError = ""
        for a in addresses {
            do {
                let s = try await client.status(a)
                return s.members.map { ($0.id, $0.adminAddress) }
            } catch {
                lastError = "\(error)"
            }
        }
        throw OrchestratorError("no node answers at \(addresses.joined(separator: ", ")): \(lastError)")
    }

    /// The status table every operator reads.
    public func table() -> String {
        let header = ["ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAG", "STATUS", "TASKS", "UPTIME"]
        let leader = leader
        var lines: [[String]] = [header]
        for r in rows {
            guard let s = r.status else {
                lines.append([r.id, r.adminAddress, "down", "-", "-", "-", "-", "-", "unreachable", "-", "-"])
                continue
            }
            let peer = leader?.peers.first { $0.id == s.id }
            let lag = s.role == "leader" ? "-" : String((leader?.commit ?? s.commit) > s.applied ? (leader?.commit ?? s.commit) - s.applied : 0)
            let health = s.role == "leader" ? "healthy" : (peer?.status ?? (leader == nil ? "no-leader" : "unknown"))
            let running = s.tasks.byState["running", default: 0] + s.tasks.byState["assigned", default: 0]
            let done = s.tasks.byState["succeeded", default: 0]
            lines.append([s.id, s.adminAddress, s.role, "\(s.term)", s.leader ?? "-", "\(s.commit)", "\(s.applied)", lag,
                          health, "\(s.tasks.queued)/\(running)/\(done)", formatUptime(s.uptimeMs)])
        }
        let widths = header.indices.map { i in lines.map { $0[i].count }.max() ?? 0 }
        return lines.map { row in
            row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

/// 42s, 3m05s, 2h10m.
public func formatUptime(_ ms: UInt64) -> String {
    let s = ms / 1000
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(s % 60)s" }
    return "\(s / 3600)h\((s % 3600) / 60)m"
}
