/// The kernel's share of a heal, alike for every engine in a lab: delete the run's nftables
/// table and its NFQUEUE delays, then say, on each look of the heal's verification, what of
/// them is still there.
struct KernelHeal: Sendable {
    let faults: KernelFaults?
    let delays: PacketDelays?

    /// Deletes both; `leftovers` verifies.
    func start() async {
        if let faults { _ = try? await faults.heal() }
        if let delays { _ = try? await delays.heal() }
    }

    /// What is left: the table, and each rule or releaser of the delays (empty when clean).
    func leftovers() async -> Set<String> {
        var left: Set<String> = []
        if let faults, (try? await faults.tableExists()) != false { left.insert("nftables table \(faults.table)") }
        if let delays { left.formUnion((try? await delays.leftovers()) ?? ["kernel delay (cannot be listed)"]) }
        return left
    }
}
