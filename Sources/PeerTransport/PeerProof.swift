/// One side's answer to the other's nonce: who it is, its incarnation, and the HMAC of the
/// handshake transcript under the cluster secret. The dialer sends it after the challenge,
/// the acceptor (as `accept`) once the dialer's checked out.
struct PeerProof: Sendable, Equatable {
    var nodeID: String
    var incarnation: UInt64
    var mac: [UInt8]
}
