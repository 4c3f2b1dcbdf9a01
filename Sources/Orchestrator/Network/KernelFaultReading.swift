import FlotillaAPI
import Foundation

/// The faults the kernel holds for a cluster in a namespace lab, read once per poll: the run's
/// nftables rules (cuts and loss) and its NFQUEUE delays. Neither engine's members can report
/// what the kernel does to their frames, so the console's feed writes this reading into each
/// member's fault line (`marking`), for Flotilla's nodes and etcd members alike; the Reach
/// matrix, the `✂ cut` rows and the fault list (`F`) then show kernel faults as they show the
/// nodes' own.
public struct KernelFaultReading: Sendable, Equatable {
    public var links: [LinkRule]
    public var delays: [DelayRule]

    public init(links: [LinkRule] = [], delays: [DelayRule] = []) {
        self.links = links
        self.delays = delays
    }

    /// Reads both tables; a table that cannot be listed reads as empty (the poll goes on).
    public static func read(_ kernel: KernelFaults?, _ delays: PacketDelays?) async -> KernelFaultReading {
        var out = KernelFaultReading()
        if let kernel { out.links = (try? await kernel.rules()) ?? [] }
        if let delays { out.delays = (try? await delays.rules()) ?? [] }
        return out
    }

    /// `s` with each answering member's faults joined with the kernel's: the peers its frames
    /// are cut towards (`drop`, direction out, when the member reports no drops of its own), and
    /// per link the kernel's loss, delay, jitter and reordering over what the member reports.
    public func marking(_ s: ClusterSnapshot) -> ClusterSnapshot {
        guard !links.isEmpty || !delays.isEmpty else { return s }
        var out = s
        for i in out.nodes.indices {
            guard var status = out.nodes[i].status else { continue }
            let id = out.nodes[i].id
            var faults = status.faults
            let cutTo = links.filter { $0.from == id && $0.isCut }.map(\.to)
            if !cutTo.isEmpty {
                // A member in a lab has its cuts in the kernel, not in its own filter; one with
                // drops of its own keeps their direction, and the kernel's cuts join them.
                if faults.drop.isEmpty { faults.direction = .out }
                faults.drop = Array(Set(faults.drop + cutTo)).sorted()
            }
            for r in links where r.from == id && !r.isCut {
                faults.links[r.to, default: LinkFaultSpec()].loss = Double(r.percent) / 100
            }
            for r in delays where r.from == id {
                var spec = faults.links[r.to, default: LinkFaultSpec()]
                spec.delayMs = r.delayMs
                spec.jitterMs = r.jitterMs
                spec.reorder = Double(r.reorderPercent) / 100
                faults.links[r.to] = spec
            }
            status.faults = faults
            out.nodes[i].status = status
        }
        return out
    }

    /// Every snapshot of `feed`, marked with a fresh reading of the tables.
    public static func marked(_ feed: AsyncStream<ClusterSnapshot>, _ kernel: KernelFaults?, _ delays: PacketDelays?) -> AsyncStream<ClusterSnapshot> {
        guard kernel != nil || delays != nil else { return feed }
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let marker = Task {
                for await s in feed {
                    if Task.isCancelled { break }
                    continuation.yield(await read(kernel, delays).marking(s))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in marker.cancel() }
        }
    }
}
