import AsyncHTTPClient
import FlotillaAPI
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NodeCore
import RaftCore
import ServiceLifecycle

/// For a founder that started on empty storage: asks the other founders (`GET /v1/status` at
/// their admin addresses, and the peer transport's state frames) whether the cluster exists
/// already, until `FounderCheck` decides, and hands the decision to the driver. Until then the node takes no part in Raft.
/// A conflict (founders started with other `--peers`) is handed on too, but is no decision: it
/// keeps asking, so the founders go on once the one that differs is restarted as the others.
struct FounderService: Service {
    let check: FounderCheck
    /// What the founders said over the peer transport, which reaches them when the admin API does not.
    let evidence: FounderEvidence
    let token: String?
    let http: HTTPClient
    let logger: Logger
    let decided: @Sendable (FounderCheck.Decision) -> Void

    func run() async throws {
        var lastNote = ContinuousClock.now - .seconds(60)
        var last: FounderCheck.Decision?
        while !Task.isCancelled {
            // A peer that checked our proof and refused us says why: another incarnation of us is the member.
            if let refusal = evidence.refusals.values.sorted().first(where: { $0.contains("flotilla replace \(check.me)") }) {
                decided(.refuse(refusal))
                return
            }
            var reports = evidence.reports.filter { check.founders[$0.key] != nil }
            for id in check.others {
                guard let admin = check.founders[id]?.admin, let status = await fetchStatus(admin) else { continue }
                if let report = Self.report(from: status, expected: id) { reports[id] = report }
            }
            let decision = check.decide(reports)
            switch decision {
            case .wait(let missing):
                if case .conflict? = last { decided(decision) }
                if ContinuousClock.now - lastNote >= .seconds(10) {
                    lastNote = .now
                    logger.notice("""
                        not founding yet: waiting to hear from founders \(missing.joined(separator: ", ")) \
                        (a founder with empty storage goes on only once every other founder is empty too; then the first founder founds)
                        """)
                }
            case .conflict(let why):
                // Said at once (the driver logs and records it), then again every 10 s while it holds.
                if decision != last {
                    decided(decision)
                    lastNote = .now
                } else if ContinuousClock.now - lastNote >= .seconds(10) {
                    lastNote = .now
                    logger.error("still not founding: \(why)")
                }
            default:
                decided(decision)
                return
            }
            last = decision
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    func fetchStatus(_ admin: String) async -> NodeStatus? {
        var request = HTTPClientRequest(url: "http://\(admin)/v1/status")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        guard let response = try? await http.execute(request, timeout: .seconds(2)), response.status.code == 200,
              let body = try? await response.body.collect(upTo: 4 << 20) else { return nil }
        return try? JSONDecoder().decode(NodeStatus.self, from: Data(body.readableBytesView))
    }

    /// What a founder's status says about it; nil when it cannot tell (another node answers at
    /// that address, or one too old to report its incarnation).
    static func report(from status: NodeStatus, expected id: NodeID) -> FounderCheck.Report? {
        guard status.id == id else { return nil }
        let holdsLog = status.lastIndex > 0 || status.snapshotIndex > 0 || !status.members.isEmpty
        if !holdsLog {
            guard let inc = status.incarnation.flatMap(Incarnation.parse), inc != 0 else { return nil }
            return .empty(MemberAddress(raft: status.raftAddress, admin: status.adminAddress, slots: status.slots ?? 0, incarnation: inc),
                          founders: status.founders.map(FounderSet.init(raftAddresses:)))
        }
        return .founded(Membership(status.members.map {
            Member(id: $0.id, isVoter: $0.voter,
                   address: MemberAddress(raft: $0.raftAddress, admin: $0.adminAddress, slots: 0,
                                          incarnation: $0.incarnation.flatMap(Incarnation.parse) ?? 0).encoded)
        }))
    }
}
