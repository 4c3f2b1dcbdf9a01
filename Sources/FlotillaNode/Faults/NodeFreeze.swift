import Synchronization

/// Until when the node is frozen by `POST /v1/faults/freeze`: the driver's loop holds its thread
/// that long, and the admin API holds every answer until then, so to its peers and its clients
/// the node looks as a SIGSTOPped process does (sockets open, nothing answered).
final class NodeFreeze: Sendable {
    private let until = Mutex<ContinuousClock.Instant?>(nil)

    /// Freezes the admin answers until `deadline` (a later freeze extends it).
    func freeze(until deadline: ContinuousClock.Instant) {
        until.withLock { $0 = max($0 ?? deadline, deadline) }
    }

    /// When the freeze ends, while one holds.
    var thawsAt: ContinuousClock.Instant? {
        until.withLock { t in
            guard let end = t, end > .now else { return nil }
            return end
        }
    }

    /// Returns once no freeze holds.
    func waitForThaw() async {
        while let end = thawsAt {
            try? await Task.sleep(until: end, clock: .continuous)
        }
    }
}
