import NIOCore
import RaftCore

/// Our outbound side of one peer: its address, the dialled connection and the bounded
/// queue of messages waiting for it. Owned by the transport's event loop.
final class PeerLink {
    enum State {
        /// Not dialling: the transport is not running yet, or the address is unusable.
        case idle
        /// A dial is under way; the channel is known once the bootstrap has created it.
        case connecting((any Channel)?)
        /// The handshake was accepted: messages flow on this channel.
        case connected(any Channel)
        /// Waiting out the backoff before the next dial.
        case waiting(Scheduled<Void>)
    }

    let peer: NodeID
    var addressText: String
    var address: PeerAddress?
    var state: State = .idle
    /// Bumped by every dial, so events from an abandoned connection are recognised and ignored.
    var attempt: UInt64 = 0
    /// Consecutive failed dials, driving the backoff.
    var failures = 0
    var everConnected = false
    /// Set while the queue is overflowing, so the overflow is logged once rather than per message.
    var overflowing = false
    /// The reason of the last refusal logged at warning level.
    var lastRefusal: String?
    var queue: CircularBuffer<Message>

    init(peer: NodeID, addressText: String, queueCapacity: Int) {
        self.peer = peer
        self.addressText = addressText
        self.address = PeerAddress(addressText)
        self.queue = CircularBuffer(initialCapacity: Swift.min(queueCapacity, 64))
    }

    /// The channel of the current dial or connection, if any.
    var channel: (any Channel)? {
        switch state {
        case .connecting(let channel): channel
        case .connected(let channel): channel
        case .idle, .waiting: nil
        }
    }

    var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    var isConnecting: Bool {
        if case .connecting = state { return true }
        return false
    }
}
