import FlotillaAPI
import Foundation

extension ClusterControl {
    /// Kernel delay, jitter and reordering for a local cluster in network namespaces
    /// (`up --net netns`), nil for a cluster on loopback or reached through --connect.
    public var packetDelays: PacketDelays? {
        guard let launcher = client.launcher, let spec = try? launcher.load(), let lab = spec.network else { return nil }
        return PacketDelays(lab: lab, directory: launcher.directory, executable: launcher.executable)
    }

    /// Delay ± jitter through NFQUEUE on the links `spec` names; 0 and 0 clear it (reordering stays).
    func kernelDelay(_ delays: PacketDelays, _ spec: String, ms: Int, jitter: Int) async throws {
        let action = OperatorAction(verb: "delay", target: spec, args: ["ms": "\(ms)", "jitter": "\(jitter)"])
        try await act("delay \(spec) \(ms)ms" + (jitter > 0 ? "±\(jitter)" : "") + " (NFQUEUE)", action) {
            guard (0...LinkFaultSpec.maxMs).contains(ms), (0...LinkFaultSpec.maxMs).contains(jitter) else {
                throw OrchestratorError("a delay and its jitter must be between 0 and \(LinkFaultSpec.maxMs) ms")
            }
            return ((), try await changeKernelDelay(delays, spec) { $0.delayMs = ms; $0.jitterMs = jitter })
        }
    }

    /// Holds `fraction` of the packets on the links `spec` names one more hold, through NFQUEUE; 0 clears it.
    func kernelReorder(_ delays: PacketDelays, _ spec: String, fraction: Double) async throws {
        let action = OperatorAction(verb: "reorder", target: spec, args: ["fraction": "\(fraction)"])
        let percent = Int((fraction * 100).rounded())
        try await act("reorder \(spec) \(percent)% (NFQUEUE)", action) {
            guard (0...1).contains(fraction) else { throw OrchestratorError("reorder must be between 0 and 1 (0% and 100%)") }
            return ((), try await changeKernelDelay(delays, spec) { $0.reorderPercent = percent })
        }
    }

    /// Reads the delays in force, changes those of the links `spec` names, and sets the whole set.
    private func changeKernelDelay(_ delays: PacketDelays, _ spec: String, _ change: (inout DelayRule) -> Void) async throws -> String {
        let members = delays.lab.members
        let links: [LinkSelection.Link]
        switch try LinkSelection.parse(spec, members: members) {
        case .all: links = members.flatMap { a in members.filter { $0 != a }.map { LinkSelection.Link(from: a, to: $0) } }
        case .links(let named): links = named
        }
        var rules = try await delays.rules()
        for link in links {
            var rule = rules.first { $0.from == link.from && $0.to == link.to } ?? DelayRule(from: link.from, to: link.to)
            change(&rule)
            rules.removeAll { $0.from == link.from && $0.to == link.to }
            rules.append(rule)
        }
        try await delays.set(rules.filter { !$0.isClean })
        let count = "\(links.count) link\(links.count == 1 ? "" : "s")"
        return rules.contains { !$0.isClean } ? "\(count), queued in \(delays.lab.switchNamespace)'s \(PacketDelays.table) table" : "\(count) cleared"
    }
}
