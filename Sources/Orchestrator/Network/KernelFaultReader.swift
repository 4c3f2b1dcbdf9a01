import Foundation

/// Reads the kernel's faults of a cluster in a namespace lab (`KernelFaultReading`) at most once
/// per `every`, handing out the last reading in between: one reading lists the run's nftables
/// table and its NFQUEUE rules, which took 70-110 ms under load, too much for every redraw of a
/// fast refresh (`flotilla status --watch --interval 200ms`).
public actor KernelFaultReader {
    public nonisolated let kernel: KernelFaults?
    public nonisolated let delays: PacketDelays?
    public nonisolated let every: Duration
    private var last: (at: ContinuousClock.Instant, reading: KernelFaultReading)?

    public init(kernel: KernelFaults?, delays: PacketDelays?, every: Duration = .seconds(1)) {
        self.kernel = kernel
        self.delays = delays
        self.every = every
    }

    /// Whether there is a lab to read at all.
    public nonisolated var hasLab: Bool { kernel != nil || delays != nil }

    /// How many times the tables were listed so far.
    public private(set) var listings = 0

    /// The reading, fresh when the last one is older than `every`.
    public func reading() async -> KernelFaultReading {
        guard hasLab else { return KernelFaultReading() }
        if let last, ContinuousClock.now - last.at < every { return last.reading }
        let r = await KernelFaultReading.read(kernel, delays)
        listings += 1
        last = (ContinuousClock.now, r)
        return r
    }

    /// `s` marked with the reading (`KernelFaultReading.marking`): the cut line, the fault lines
    /// and the Reach matrix then show the kernel's cuts.
    public func marking(_ s: ClusterSnapshot) async -> ClusterSnapshot {
        guard hasLab else { return s }
        return await reading().marking(s)
    }
}
