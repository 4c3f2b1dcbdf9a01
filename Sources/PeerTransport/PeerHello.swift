/// The dialer's opening frame: the protocol it speaks and, from version 2, its fresh nonce.
/// It names no node and no cluster, so a listener without the secret learns neither.
struct PeerHello: Sendable, Equatable {
    var protocolVersion: UInt16
    /// 32 random bytes; empty when the version is not one this build reads past.
    var nonce: [UInt8]
}
