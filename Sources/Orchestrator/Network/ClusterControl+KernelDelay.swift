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
            return ((), try await delays.change(spec) { $0.delayMs = ms; $0.jitterMs = jitter })
        }
    }

    /// Holds `fraction` of the packets on the links `spec` names one more hold, through NFQUEUE; 0 clears it.
    func kernelReorder(_ delays: PacketDelays, _ spec: String, fraction: Double) async throws {
        let action = OperatorAction(verb: "reorder", target: spec, args: ["fraction": "\(fraction)"])
        let percent = Int((fraction * 100).rounded())
        try await act("reorder \(spec) \(percent)% (NFQUEUE)", action) {
            guard (0...1).contains(fraction) else { throw OrchestratorError("reorder must be between 0 and 1 (0% and 100%)") }
            return ((), try await delays.change(spec) { $0.reorderPercent = percent })
        }
    }
}

extension PacketDelays {
    /// Reads the delays in force, changes those of the links `spec` names (`n1->n2`, `n1<->n2`,
    /// `n3`, `all`) with `change`, and sets the whole set; what was done, in a few words. Flotilla's
    /// nodes and etcd members in a lab share it.
    public func change(_ spec: String, _ change: (inout DelayRule) -> Void) async throws -> String {
        let links = try LinkSelection.directed(spec, members: lab.members)
        var rules = try await rules()
        for link in links {
            var rule = rules.first { $0.from == link.from && $0.to == link.to } ?? DelayRule(from: link.from, to: link.to)
            change(&rule)
            rules.removeAll { $0.from == link.from && $0.to == link.to }
            rules.append(rule)
        }
        try await set(rules.filter { !$0.isClean })
        let count = "\(links.count) link\(links.count == 1 ? "" : "s")"
        return rules.contains { !$0.isClean } ? "\(count), queued in \(lab.switchNamespace)'s \(Self.table) table" : "\(count) cleared"
    }
}
