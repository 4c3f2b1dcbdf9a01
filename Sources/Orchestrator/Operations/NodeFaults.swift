import FlotillaAPI
import Foundation

extension ClusterControl {
    /// Makes the disks of `target` (a node, `leader` or `all`) slow, full or healthy again.
    public func disk(_ target: String, _ fault: DiskFault) async throws {
        let action = OperatorAction(verb: "disk", target: target, args: fault.args)
        try await setNodeFault(target, "disk \(fault.words)", action) {
            if case .slow(let ms) = fault, !(0...FaultSpec.maxFsyncDelayMs).contains(ms) {
                throw OrchestratorError("a slow disk adds between 0 and \(FaultSpec.maxFsyncDelayMs) ms to each fsync")
            }
            return { spec in
                switch fault {
                case .slow(let ms): spec.fsyncDelayMs = ms
                case .full: spec.diskFull = true
                case .ok:
                    spec.fsyncDelayMs = 0
                    spec.diskFull = false
                }
            }
        }
    }

    /// Runs the timers of `target` (a node, `leader` or `all`) `rate` times as fast as real time; 1 clears it.
    public func skew(_ target: String, rate: Double) async throws {
        let action = OperatorAction(verb: "skew", target: target, args: ["rate": "\(rate)"])
        try await setNodeFault(target, "skew \(FaultSpec.rateText(rate))", action) {
            guard FaultSpec.clockRates.contains(rate) else { throw OrchestratorError("\(ClockRate.form), got \(rate)") }
            return { $0.clockRate = rate }
        }
    }

    /// Reads the rules of every node `target` names, applies what `check` returns (after it
    /// validated the values) and writes them back, so drops and link faults stay as they were.
    private func setNodeFault(_ target: String, _ what: String, _ action: OperatorAction,
                              _ check: () throws -> (inout FaultSpec) -> Void) async throws {
        let s = await snapshot()
        try await act("\(what) on \(target)", action) {
            let change = try check()
            let ids: [String]
            switch target {
            case "all": ids = s.nodes.map(\.id)
            case "leader":
                guard let l = s.leader else { throw OrchestratorError("there is no leader to target") }
                ids = [l.id]
            default: ids = [try member(target, in: s).id]
            }
            let (set, summary) = try await rewriteRules(of: ids, in: s) { _, rules in change(&rules) }
            guard !set.isEmpty else { throw OrchestratorError("\(ids.joined(separator: ", ")) \(ids.count == 1 ? "is" : "are") down") }
            return ((), summary)
        }
    }

    /// Reads the rules of each node in `ids`, changes them with `change` and writes them back,
    /// so what `change` leaves alone stays as it was; nodes that are down are skipped. Returns
    /// the nodes written and `set on n1, n2; skipped n3 (down)`.
    func rewriteRules(of ids: [String], in s: ClusterSnapshot,
                      _ change: (String, inout FaultSpec) -> Void) async throws -> (set: [String], summary: String) {
        var set: [String] = []
        var skipped: [String] = []
        for id in ids {
            guard let o = s.node(id), o.up else { skipped.append(id); continue }
            var rules: FaultSpec = try await admin.call("GET", o.adminAddress, "/v1/faults", timeout: .seconds(2))
            change(id, &rules)
            let _: FaultSpec = try await admin.call("PUT", o.adminAddress, "/v1/faults", body: rules, timeout: .seconds(2))
            set.append(id)
        }
        return (set, "set on \(set.joined(separator: ", "))" + (skipped.isEmpty ? "" : "; skipped \(skipped.joined(separator: ", ")) (down)"))
    }
}
