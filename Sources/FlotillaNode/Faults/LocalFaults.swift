import FlotillaAPI
import NodeStorage
import Synchronization

/// The faults a node injects into itself rather than into its links: a slow or full disk, and
/// a clock whose timers run fast or slow. `PUT /v1/faults` sets them; the storage (through
/// `DiskFaults`) and the driver's ticker (through `clockRate`) obey them.
final class LocalFaults: Sendable {
    /// The storage's injectable failures; nil on a disk that takes none.
    let disk: DiskFaults?
    private let rate = Mutex(1.0)

    init(disk: DiskFaults?) {
        self.disk = disk
    }

    /// How fast the node's timers run against real time (1 is a true clock).
    var clockRate: Double { rate.withLock { $0 } }

    /// Why `spec`'s disk faults cannot be applied here, or nil.
    func problem(_ spec: FaultSpec) -> String? {
        guard disk == nil, spec.fsyncDelayMs != 0 || spec.diskFull else { return nil }
        return "this node's disk takes no injected faults"
    }

    /// Installs the disk and clock faults of `spec` (already checked), replacing the ones before.
    func apply(_ spec: FaultSpec) {
        rate.withLock { $0 = spec.clockRate }
        guard let disk else { return }
        disk.syncDelay = .milliseconds(spec.fsyncDelayMs)
        // A full disk has no space left; clearing it lifts the limit altogether.
        disk.spaceLeft = spec.diskFull ? 0 : nil
    }

    /// Adds the faults in force to what the node reports.
    func report(into spec: inout FaultSpec) {
        spec.clockRate = clockRate
        guard let disk else { return }
        spec.fsyncDelayMs = Int(disk.syncDelay / .milliseconds(1))
        spec.diskFull = disk.spaceLeft == 0
    }
}
