import Foundation

extension ClusterControl {
    /// The kernel's faults for a local cluster whose nodes run in network namespaces
    /// (`up --net netns`), nil for a cluster on loopback or reached through --connect. On such a
    /// cluster partitions and loss are nftables rules instead of the nodes' own filter; heal
    /// clears both.
    public var kernelFaults: KernelFaults? {
        guard let spec = try? client.launcher?.load(), let lab = spec.network else { return nil }
        return KernelFaults(lab: lab)
    }

    /// Loss through nftables on the links `spec` names (`n1->n2`, `n1<->n2`, `n3`, `all`).
    func kernelLoss(_ kernel: KernelFaults, _ spec: String, fraction: Double) async throws {
        let action = OperatorAction(verb: "loss", target: spec, args: ["fraction": "\(fraction)"])
        let percent = Int((fraction * 100).rounded())
        try await act("loss \(spec) \(percent)% (nftables)", action) {
            guard (0...1).contains(fraction) else { throw OrchestratorError("loss must be between 0 and 1 (0% and 100%)") }
            let links = try await kernel.loss(spec, members: kernel.lab.members, percent: percent)
            return ((), "\(links.count) link\(links.count == 1 ? "" : "s") in table \(kernel.table)")
        }
    }
}
