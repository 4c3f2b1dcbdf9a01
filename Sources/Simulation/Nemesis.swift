import BinaryCoding
import RaftCore

/// The faults a simulation injects, one at a time.
enum Fault: Sendable, CaseIterable {
    case randomHalves
    case isolateOne
    case isolateLeader
    case majorityRing
    case bridge
    case oneWay
    case crash
    case crashLeader
    /// Crash a node and restart it a few ticks later: what is not synced is lost, in the middle of things.
    case bounce
    /// A node's disk fills up: its writes fail with ENOSPC until the fault heals.
    case fullDisk
    /// The power fails in the middle of one of a node's next few disk operations.
    case powerCut
    /// One directed link, or every link into and out of one node, gets slow (extra delay with
    /// jitter) and maybe lossy, duplicating and reordering.
    case slowLink
    /// A node's fsync is slow: its batches are persisted, sent and applied only every few ticks.
    case slowDisk
    /// A node's timers run fast or slow against everyone else's.
    case clockSkew
    /// Wipe a node's disk and start it again on the same command line: it must not come back as
    /// the member it was (its peers refuse it; the simulator replaces it as an operator would).
    case wipe
    case transfer
    case addLearner
    case promote
    case remove

    /// Faults that hold until healed, as opposed to one-off operations.
    var lasts: Bool {
        switch self {
        case .transfer, .addLearner, .promote, .remove, .bounce, .powerCut, .wipe: false
        default: true
        }
    }
}
