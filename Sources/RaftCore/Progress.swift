/// How the leader is currently replicating to one peer.
public enum ProgressState: Sendable, Equatable {
    /// Unsure where the peer's log ends: one append at a time until it answers.
    case probe
    /// The peer is keeping up: appends are pipelined, up to `maxInflight` at once.
    case replicate
    /// The peer is behind the leader's snapshot and is receiving it.
    case snapshot(index: UInt64)

    public var name: String {
        switch self {
        case .probe: "probe"
        case .replicate: "replicate"
        case .snapshot: "snapshot"
        }
    }
}

/// The leader's view of one peer's log.
struct Progress: Sendable {
    var match: UInt64 = 0
    var next: UInt64
    var state: ProgressState = .probe
    /// In probe state: an append is outstanding, so wait for an answer or a heartbeat.
    var probeSent = false
    /// Last indexes of the appends in flight, oldest first (replicate state).
    var inflight: [UInt64] = []
    /// Heard from the peer since the last check-quorum round.
    var recentActive = false
    /// The leader's tick count when it last heard from the peer.
    var lastContactTick: UInt64 = 0
    /// Snapshot transfer: bytes the peer acknowledged, and whether a chunk is outstanding.
    var snapshotAcked = 0
    var snapshotChunkOutstanding = false
    /// The snapshot being sent; kept even if the leader compacts again meanwhile, so a
    /// slow transfer is not restarted by every new snapshot.
    var sendingSnapshot: Snapshot?

    init(next: UInt64) { self.next = next }

    var isPaused: Bool {
        switch state {
        case .probe: probeSent
        case .replicate: false
        case .snapshot: true
        }
    }

    mutating func becomeProbe() {
        if case .snapshot(let index) = state {
            next = max(match + 1, index + 1)
        } else {
            next = match + 1
        }
        state = .probe
        probeSent = false
        inflight.removeAll()
        sendingSnapshot = nil
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        probeSent = false
        inflight.removeAll()
        sendingSnapshot = nil
    }

    mutating func becomeSnapshot(_ snapshot: Snapshot) {
        state = .snapshot(index: snapshot.metadata.index)
        inflight.removeAll()
        snapshotAcked = 0
        snapshotChunkOutstanding = false
        sendingSnapshot = snapshot
    }

    /// Records an acknowledged match; false if it tells us nothing new.
    mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if index > match {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        inflight.removeAll { $0 <= index }
        return updated
    }

    /// An append up to `index` succeeded: records it and leaves probe (or snapshot) state once
    /// the peer has caught up. True when the match index moved.
    mutating func acknowledge(_ index: UInt64, leaderLastIndex: UInt64) -> Bool {
        let updated = maybeUpdate(index)
        switch state {
        case .probe:
            if updated || match == leaderLastIndex { becomeReplicate() }
        case .snapshot(let snapIndex):
            if match >= snapIndex { becomeReplicate() }
        case .replicate:
            break
        }
        return updated
    }

    /// The peer answered a heartbeat: it is alive, so unblock a probe, free one in-flight
    /// slot of a full pipeline, and let a stalled snapshot chunk be resent.
    mutating func heartbeatAnswered(maxInflight: Int) {
        probeSent = false
        if case .replicate = state, inflightFull(max: maxInflight) { inflight.removeFirst() }
        if case .snapshot = state { snapshotChunkOutstanding = false }
    }

    /// Handles a rejected append of `rejected` (its prevIndex); `hint` is where to probe next.
    /// False when the rejection is stale.
    mutating func maybeDecrease(rejected: UInt64, hint: UInt64) -> Bool {
        if case .replicate = state {
            // `rejected == match` only when the peer lacks an entry it acknowledged (or an old
            // answer arrives late): probe to find out which, rather than wait at match + 1 forever.
            guard rejected >= match else { return false }
            next = match + 1
            return true
        }
        guard next - 1 == rejected else { return false }
        if hint < match {
            // The answer to our one probe says the peer's log ends below what it acknowledged:
            // it lost entries (a follower's log matches ours up to `match` unless its disk lied).
            // Waiting at match + 1 would be rejected forever; start again from where it is.
            match = hint
            next = hint + 1
            probeSent = false
            return true
        }
        next = max(min(rejected, hint + 1), match + 1)
        probeSent = false
        return true
    }

    func inflightFull(max: Int) -> Bool { inflight.count >= max }
}
